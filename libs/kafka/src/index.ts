export * from './kafka-client';
export * from './murmur2';

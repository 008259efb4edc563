export * from './kafka-client';
export * from './murmur2';
export * from './avro-change-codec';
export * from './transactional-pipeline';
export * from './schema-registry-client';

export * from './object-store.port';
export * from './s3-object-store';
export * from './staging-key';

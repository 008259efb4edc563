export * from './connect-schema';
export * from './connect-schema-from-avro';
export * from './exact-json';
export * from './map-debezium-record';
export type { SchemalessRules } from './column-value';
export type { EpochUnit } from './connect-temporal';

import { isFields } from './debezium-input';

/** Connect's types as JsonConverter spells them (FLOAT32 is `float`, FLOAT64 `double`). */
export type ConnectType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float'
  | 'double'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

/**
 * A Kafka Connect schema in the JSON form JsonConverter embeds (`schemas.enable=true`), which
 * connectSchemaFromAvro also builds from an Avro writer schema. `name` carries the logical
 * type (`org.apache.kafka.connect.data.Decimal`, `io.debezium.time.MicroTimestamp`, …) and
 * `parameters` its settings (a Decimal's `scale`).
 */
export interface ConnectSchema {
  type: ConnectType;
  optional?: boolean;
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
  /** The field's name, for a schema inside a struct's `fields`. */
  field?: string;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  keys?: ConnectSchema;
  values?: ConnectSchema;
}

/**
 * A key or value as JsonConverter wrote it: `{schema, payload}` with `schemas.enable=true`,
 * the bare payload without. Only an object of exactly those two fields whose schema is a
 * schema (or null) is an envelope, so a row with columns named `schema` and `payload` is not.
 */
export function unwrapJsonConverter(value: unknown): { schema?: ConnectSchema; payload: unknown } {
  if (isFields(value) && Object.keys(value).length === 2 && 'schema' in value && 'payload' in value) {
    if (value.schema === null) return { payload: value.payload };
    if (isFields(value.schema) && typeof value.schema.type === 'string')
      return { schema: value.schema as unknown as ConnectSchema, payload: value.payload };
  }
  return { payload: value };
}

/** The schema of a struct's field, when the struct has a schema that names it. */
export function fieldSchema(struct: ConnectSchema | undefined, name: string): ConnectSchema | undefined {
  return structFields(struct).find((f) => f.field === name);
}

/** A struct schema's fields; none for another schema, or for one (from JSON) that is damaged. */
export function structFields(struct: ConnectSchema | undefined): ConnectSchema[] {
  if (!isFields(struct) || !Array.isArray(struct.fields)) return [];
  return struct.fields.filter((f) => isFields(f) && typeof f.field === 'string');
}

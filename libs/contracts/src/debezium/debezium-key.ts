import type { TableContract } from '@app/config';
import { ChangeRejected } from '../error-codes';
import { columnValue, type SchemalessRules } from './column-value';
import { fieldSchema, unwrapJsonConverter, type ConnectSchema } from './connect-schema';
import { isFields, refuse, type Fields } from './debezium-input';
import { parseExactJson } from './exact-json';

/** A struct that may carry key columns: where it came from (for messages), its fields and schema. */
export interface KeySource {
  field: string;
  fields: Fields | null;
  schema: ConnectSchema | undefined;
}

/**
 * The contract's primary key, each column from the first source that carries it (a delete's
 * `before`, then the record key). Only the contract's key columns are read: a source key
 * with more columns gives only those.
 */
export function keyOf(
  contract: TableContract,
  sources: KeySource[],
  rules: SchemalessRules,
  what: string,
): Record<string, unknown> {
  const key: Record<string, unknown> = {};
  for (const name of contract.primaryKey) {
    const from = sources.find((s) => s.fields && s.fields[name] !== undefined && s.fields[name] !== null);
    if (!from)
      return refuse(
        'MISSING_KEY',
        `${sources[0]!.field}.${name}`,
        `${what} of ${contract.name} has no ${name} in ${sources.map((s) => s.field).join(' or ')}: the source's key (its replica identity) must include the contract's primary key`,
      );
    const column = contract.columns.find((c) => c.name === name)!;
    key[name] = columnValue(
      from.fields![name],
      fieldSchema(from.schema, name),
      column,
      `${from.field}.${name}`,
      rules,
    );
  }
  return key;
}

/** The record key as JsonConverter or Avro gave it: its struct and schema. */
export function recordKey(key: unknown, keySchema: ConnectSchema | undefined): KeySource {
  const { schema, payload } = unwrapJsonConverter(key);
  return { field: 'key', fields: isFields(payload) ? payload : null, schema: schema ?? keySchema };
}

/**
 * A key Debezium put in a header (`__debezium.oldkey`): JSON text of the key struct, with a
 * schema when the header converter is JsonConverter, bare with Connect's default
 * SimpleHeaderConverter.
 */
export function headerKey(name: string, text: string): KeySource {
  const field = `headers.${name}`;
  let parsed: unknown;
  try {
    parsed = parseExactJson(text);
  } catch (error) {
    if (!(error instanceof ChangeRejected)) throw error;
    return refuse('MALFORMED_JSON', field, `header ${name} is not the key as JSON: ${error.message}`);
  }
  const { schema, payload } = unwrapJsonConverter(parsed);
  if (!isFields(payload))
    return refuse('NOT_AN_OBJECT', field, `header ${name} must hold the key struct (an object)`);
  return { field, fields: payload, schema };
}

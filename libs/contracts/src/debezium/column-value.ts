import type { ColumnContract, ColumnType } from '@app/config';
import { parseBoundedJson } from '../bounded-json';
import { ChangeRejected } from '../error-codes';
import { decimalScale, decimalValue, variableScaleDecimal } from './connect-decimal';
import { structFields, type ConnectSchema } from './connect-schema';
import { epochDate, epochTimestamp, timeOfDay, type EpochUnit } from './connect-temporal';
import { BASE64, integerIn, isFields, malformed } from './debezium-input';

/**
 * How to read values that arrived without a schema (JsonConverter with `schemas.enable=false`),
 * where only the contract column's type says what a value is. Set them as the connector is
 * set: a wrong setting reads numbers wrong, which a schema would have prevented.
 */
export interface SchemalessRules {
  /**
   * The connector's `decimal.handling.mode`. `precise` (Debezium's default) writes numeric
   * values as base64 bytes, read with the contract column's scale, which must then be the
   * source column's; `string` and `double` write text and numbers, read as they are.
   */
  decimalHandling: 'precise' | 'string' | 'double';
  /**
   * The unit of epoch numbers for timestamp and timestamptz columns. With the default
   * `time.precision.mode=adaptive`, PostgreSQL's timestamp (precision 6 unless declared)
   * is in microseconds, timestamp(0)-(3) and MySQL's DATETIME(0)-(3) in milliseconds, as
   * is every timestamp with `time.precision.mode=connect`.
   */
  timestampUnit: EpochUnit;
}

export const DEFAULT_SCHEMALESS_RULES: SchemalessRules = {
  decimalHandling: 'precise',
  timestampUnit: 'microseconds',
};

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const VARIABLE_SCALE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';
const JSON_TEXT = 'io.debezium.data.Json';
// Maps, not object literals: a schema name from JSON could be `constructor`.
const TIMESTAMPS = new Map<string, EpochUnit>([
  ['org.apache.kafka.connect.data.Timestamp', 'milliseconds'],
  ['io.debezium.time.Timestamp', 'milliseconds'],
  ['io.debezium.time.MicroTimestamp', 'microseconds'],
  ['io.debezium.time.NanoTimestamp', 'nanoseconds'],
]);
const TIMES = new Map<string, EpochUnit>([
  ['org.apache.kafka.connect.data.Time', 'milliseconds'],
  ['io.debezium.time.Time', 'milliseconds'],
  ['io.debezium.time.MicroTime', 'microseconds'],
  ['io.debezium.time.NanoTime', 'nanoseconds'],
]);
const DATES = new Set(['org.apache.kafka.connect.data.Date', 'io.debezium.time.Date']);
/** `time.precision.mode=isostring`: local dates and timestamps written as if at UTC (`…Z`). */
const ISO_AT_UTC = new Set(['io.debezium.time.IsoDate', 'io.debezium.time.IsoTimestamp']);
/** Columns that take an epoch number as it is, rather than as date or time text. */
const NUMBER_KINDS = new Set<ColumnType['kind']>(['integer', 'bigint', 'double']);

/**
 * One column's Debezium value in the form the contract column's type takes (coerceValue):
 * exact decimal text, date and timestamp text, a JSON value for json columns. The schema's
 * logical type decides how a value is read; without a schema, the column's type does. A value
 * that does not fit the column is still returned, for validation to refuse with the contract's
 * reason; a value that is not valid Debezium data throws ChangeRejected naming `field`.
 */
export function columnValue(
  raw: unknown,
  schema: ConnectSchema | undefined,
  column: ColumnContract,
  field: string,
  rules: SchemalessRules,
): unknown {
  if (raw === null || raw === undefined) return null;
  if (!schema) return schemalessValue(raw, column.type, field, rules);
  const name = schema.name ?? '';
  if (name === JSON_TEXT && column.type.kind !== 'json') return raw;
  if ((TIMESTAMPS.has(name) || TIMES.has(name) || DATES.has(name)) && NUMBER_KINDS.has(column.type.kind))
    return jsonValue(raw);
  return connectValue(raw, schema, field, column.type.kind === 'timestamptz');
}

/** A value read by its schema; structs, arrays and maps by their parts' schemas (json columns). */
function connectValue(
  raw: unknown,
  schema: ConnectSchema | undefined,
  field: string,
  zoned: boolean,
): unknown {
  if (raw === null || raw === undefined) return null;
  if (!schema) return jsonValue(raw);
  const name = schema.name ?? '';
  if (name === DECIMAL) return decimalValue(raw, decimalScale(schema, field), field);
  if (name === VARIABLE_SCALE_DECIMAL) return variableScaleDecimal(raw, field);
  if (name === JSON_TEXT) return jsonText(raw, field);
  const timestamp = TIMESTAMPS.get(name);
  if (timestamp) return epochTimestamp(integerIn(raw, field), timestamp, zoned);
  const time = TIMES.get(name);
  if (time) return timeOfDay(integerIn(raw, field), time);
  if (DATES.has(name)) return epochDate(integerIn(raw, field));
  if (ISO_AT_UTC.has(name) && typeof raw === 'string') return raw.replace(/Z$/, '');
  if (schema.type === 'array' && Array.isArray(raw))
    return raw.map((item, i) => connectValue(item, schema.items, `${field}[${i}]`, false));
  if ((schema.type === 'map' || schema.type === 'struct') && isFields(raw)) {
    const parts =
      schema.type === 'struct' && Array.isArray(schema.fields)
        ? structFields(schema).map((f) => [f.field!, f] as const)
        : Object.keys(raw).map((key) => [key, schema.values] as const);
    return Object.fromEntries(
      parts.map(([key, part]) => [key, connectValue(raw[key], part, `${field}.${key}`, false)]),
    );
  }
  return jsonValue(raw);
}

/** A value without a schema, read by the type of the column it loads into. */
function schemalessValue(raw: unknown, type: ColumnType, field: string, rules: SchemalessRules): unknown {
  const epoch = typeof raw === 'number' || typeof raw === 'bigint';
  switch (type.kind) {
    case 'numeric':
      if (isFields(raw)) return variableScaleDecimal(raw, field);
      if (typeof raw === 'string' && rules.decimalHandling === 'precise')
        return preciseDecimal(raw, type.scale, field);
      return jsonValue(raw);
    case 'date':
      if (epoch) return epochDate(integerIn(raw, field));
      return typeof raw === 'string' ? raw.replace(/^(\d{4}-\d{2}-\d{2})Z$/, '$1') : raw;
    case 'timestamp':
    case 'timestamptz':
      return epoch
        ? epochTimestamp(integerIn(raw, field), rules.timestampUnit, type.kind === 'timestamptz')
        : raw;
    case 'json':
      return typeof raw === 'string' ? jsonText(raw, field) : jsonValue(raw);
    default:
      return jsonValue(raw);
  }
}

/** A schemaless `decimal.handling.mode=precise` value, whose scale only the contract can give. */
function preciseDecimal(raw: string, scale: number, field: string): unknown {
  if (BASE64.test(raw)) return decimalValue(raw, scale, field);
  return malformed(
    field,
    `is ${JSON.stringify(raw)}, not base64 Decimal bytes: without a schema numeric values are read as decimal.handling.mode=precise writes them, unless the binding's schemaless.decimalHandling says string or double`,
  );
}

/** io.debezium.data.Json: the column's JSON document as text. */
function jsonText(raw: unknown, field: string): unknown {
  if (typeof raw !== 'string') return jsonValue(raw);
  try {
    return parseBoundedJson(raw);
  } catch (error) {
    if (!(error instanceof ChangeRejected)) throw error;
    return malformed(field, `is not JSON text (io.debezium.data.Json): ${error.message}`);
  }
}

/**
 * A decoded value as a JSON value: bytes as base64 text (what JsonConverter writes for them),
 * a bigint as a number when that is exact, else as digit text, which exact types take.
 */
function jsonValue(raw: unknown): unknown {
  if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw.toString();
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
  if (Array.isArray(raw)) return raw.map(jsonValue);
  if (isFields(raw)) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, jsonValue(v)]));
  return raw;
}

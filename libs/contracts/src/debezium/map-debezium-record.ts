import type { ColumnContract, TableContract } from '@app/config';
import type { ChangeEvent } from '../change-event';
import { DEFAULT_SCHEMALESS_RULES, type SchemalessRules } from './column-value';
import { fieldSchema, unwrapJsonConverter, type ConnectSchema } from './connect-schema';
import { readEnvelope } from './debezium-envelope';
import { refuse, type Fields } from './debezium-input';
import { headerKey, keyOf, recordKey } from './debezium-key';
import { rowOf } from './debezium-row';
import { sourceTime, sourceVersion } from './source-version';

/** A Kafka record of a Debezium topic, its key and value decoded (JSON parsed, Avro read). */
export interface DebeziumRecord {
  topic: string;
  /** The decoded key: JsonConverter's form (with or without a schema) or an Avro record; null if none. */
  key: unknown;
  /** The decoded value; null for a tombstone. */
  value: unknown;
  headers: Record<string, string | undefined>;
  /** The value's schema when it did not embed one (Avro: connectSchemaFromAvro of the writer schema). */
  valueSchema?: ConnectSchema;
  /** The key's schema, likewise. */
  keySchema?: ConnectSchema;
}

/** The source table a record comes from, as the binding looks it up. */
export interface DebeziumSourceTable {
  /** `source.schema`; for MySQL, which has no schemas, `source.db`. */
  schema?: string;
  table?: string;
  topic: string;
}

/** How one source table loads: into which contract, and how its values are read. */
export interface DebeziumBinding {
  contract: TableContract;
  /** The connector's `unavailable.value.placeholder` (Debezium's default `__debezium_unavailable_value`). */
  unavailableValue: string;
  undeclaredColumns: 'ignore' | 'dead-letter';
  /** For values without a schema; Debezium's PostgreSQL defaults when not given. */
  schemaless?: Partial<SchemalessRules>;
}

export type DebeziumOutcome =
  { kind: 'changes'; events: ChangeEvent[] } | { kind: 'skipped'; reason: string };

const NEW_KEY_HEADER = '__debezium.newkey';
const OLD_KEY_HEADER = '__debezium.oldkey';

/**
 * The tablelane changes one Debezium record carries: `c`, `r` and `u` upsert `after` (never
 * `before`: a delete's before holds only the key, and NOT NULL columns as 0 or ""), `d`
 * deletes by the key, `t` truncates. Tombstones, heartbeats, schema changes, transaction
 * metadata and messages are skipped with the reason, and so is the `d` half of a primary-key
 * update, since its `c` half carries the move (`movedFrom`). Every change is versioned by the
 * source's log position (sourceVersion), in the event and in the row's version column, and
 * timed by the source commit (`ts`). Pure: throws ChangeRejected for a malformed record or an
 * unbound table; the change itself is validated against its contract afterwards.
 */
export function mapDebeziumRecord(
  record: DebeziumRecord,
  bind: (source: DebeziumSourceTable) => DebeziumBinding | undefined,
): DebeziumOutcome {
  const { schema: embedded, payload } = unwrapJsonConverter(record.value);
  if (payload === null || payload === undefined)
    return skipped(
      "a tombstone (log compaction's marker after a delete), which the delete before it carried",
    );
  const envelope = readEnvelope(payload, record.topic);
  if (envelope.kind === 'skip') return skipped(envelope.reason);
  if (envelope.kind === 'delete' && record.headers[NEW_KEY_HEADER] !== undefined)
    return skipped('the delete half of a primary-key update: the create that follows carries the move');

  const { source } = envelope;
  const binding = bound(source, record.topic, bind);
  const { contract } = binding;
  const versionColumn = versionColumnOf(contract);
  const version = sourceVersion(source);
  const ts = sourceTime(source);
  const tail = ts === undefined ? { version } : { version, ts };
  const schemaless = { ...DEFAULT_SCHEMALESS_RULES, ...binding.schemaless };
  const valueSchema = embedded ?? record.valueSchema;

  if (envelope.kind === 'truncate') return changes({ table: contract.name, op: 'truncate', ...tail });
  if (envelope.kind === 'delete') {
    const before = { field: 'before', fields: envelope.before, schema: fieldSchema(valueSchema, 'before') };
    const sources = [before, recordKey(record.key, record.keySchema)];
    const key = keyOf(contract, sources, schemaless, 'a delete');
    return changes({ table: contract.name, op: 'delete', key, ...tail });
  }

  const { row, unchanged } = rowOf(contract, envelope.after, fieldSchema(valueSchema, 'after'), {
    unavailableValue: binding.unavailableValue,
    undeclaredColumns: binding.undeclaredColumns,
    schemaless,
  });
  row[versionColumn.name] = version;
  const event: ChangeEvent = { table: contract.name, op: 'upsert', row, ...tail };
  if (unchanged.length > 0) event.unchanged = unchanged;
  const oldKey = envelope.op === 'c' ? record.headers[OLD_KEY_HEADER] : undefined;
  if (oldKey !== undefined)
    event.movedFrom = keyOf(contract, [headerKey(OLD_KEY_HEADER, oldKey)], schemaless, 'a primary-key move');
  return changes(event);
}

/** The binding of the record's table: by `schema.table` from the source block, else the topic. */
function bound(
  source: Fields,
  topic: string,
  bind: (source: DebeziumSourceTable) => DebeziumBinding | undefined,
): DebeziumBinding {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const table: DebeziumSourceTable = { topic };
  const schema = text(source.schema) ?? text(source.db);
  if (schema !== undefined) table.schema = schema;
  if (text(source.table) !== undefined) table.table = text(source.table);
  const binding = bind(table);
  if (binding) return binding;
  const named = table.schema && table.table ? `${table.schema}.${table.table}` : topic;
  return refuse(
    'UNKNOWN_TABLE',
    'source.table',
    `no table contract is bound to source table ${named} (topic ${topic}): add {source: ${named}, table: <contract>} to the tables of the cdc feed that reads it`,
  );
}

/** CDC changes are ordered by the source's log position, which only a bigint or numeric column holds. */
function versionColumnOf(contract: TableContract): ColumnContract {
  const column = contract.columns.find((c) => c.name === contract.version);
  if (column && (column.type.kind === 'bigint' || column.type.kind === 'numeric')) return column;
  return refuse(
    'INVALID_VERSION',
    'version',
    `table ${contract.name} takes CDC changes only with a bigint or numeric version column, which holds the source's log position (e.g. columns: {source_lsn: bigint}, version: source_lsn)`,
  );
}

const changes = (event: ChangeEvent): DebeziumOutcome => ({ kind: 'changes', events: [event] });
const skipped = (reason: string): DebeziumOutcome => ({ kind: 'skipped', reason });

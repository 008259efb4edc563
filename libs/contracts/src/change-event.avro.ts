import type { ChangeEvent } from './change-event';
import { parseBoundedJson } from './bounded-json';
import { ChangeRejected } from './error-codes';

/**
 * The Avro form of a change event on the ingest topic: one generic record that every table
 * shares, so adding a table never needs a new schema. Row and key travel as JSON text (their
 * columns differ per table and are checked against the table contract, not by Avro); the
 * version travels as text so bigint and numeric versions stay exact beyond 2^53.
 *
 * On the wire it is framed the Confluent way: magic byte 0, the 4-byte big-endian schema id
 * from the registry, then the Avro binary body. The subject is `<ingest topic>-value`
 * (TopicNameStrategy), i.e. `tablelane.ingest-value`.
 */
export const CHANGE_EVENT_AVRO_SCHEMA = {
  type: 'record',
  name: 'ChangeEvent',
  namespace: 'tablelane',
  doc: 'A change to one row of a table declared in tablelane.yaml; see libs/contracts/src/change-event.avro.ts',
  fields: [
    { name: 'table', type: 'string', doc: 'schema.table as declared in the table contracts' },
    { name: 'op', type: { type: 'enum', name: 'ChangeOp', symbols: ['upsert', 'delete'] } },
    { name: 'row', type: ['null', 'string'], default: null, doc: 'upsert: JSON text of the row object' },
    {
      name: 'key',
      type: ['null', 'string'],
      default: null,
      doc: 'delete: JSON text of the primary key object',
    },
    {
      name: 'version',
      type: ['null', 'string'],
      default: null,
      doc: 'version as text, exact for bigint and numeric',
    },
    { name: 'id', type: ['null', 'string'], default: null, doc: 'producer-chosen event id' },
    { name: 'ts', type: ['null', 'long'], default: null, doc: 'event time in epoch milliseconds' },
  ],
} as const;

export const CHANGE_EVENT_AVRO_NAME = 'tablelane.ChangeEvent';

/** A record as the Avro schema above decodes it. */
export interface AvroChangeRecord {
  table: string;
  op: 'upsert' | 'delete';
  row: string | null;
  key: string | null;
  version: string | null;
  id: string | null;
  ts: number | null;
}

/** The registry subject of ingest values (Confluent TopicNameStrategy). */
export function ingestValueSubject(topic: string): string {
  return `${topic}-value`;
}

/** Maps the JSON form to the Avro record. */
export function toAvroRecord(event: ChangeEvent): AvroChangeRecord {
  // The Avro ingest form carries what producers send; truncates, unchanged columns and moves
  // come from CDC feeds, which the router reads in their own format and writes to the lanes as
  // JSON. Refused rather than dropped: an upsert without its `unchanged` would null columns.
  if (event.op === 'truncate') throw new Error('a truncate has no Avro ingest form; send it as JSON');
  if (event.op === 'upsert' && ((event.unchanged?.length ?? 0) > 0 || event.movedFrom !== undefined))
    throw new Error('an upsert with unchanged or movedFrom has no Avro ingest form; send it as JSON');
  return {
    table: event.table,
    op: event.op,
    row: event.op === 'upsert' ? JSON.stringify(event.row) : null,
    key: event.op === 'delete' ? JSON.stringify(event.key) : null,
    version: event.version === undefined || event.version === null ? null : String(event.version),
    id: event.id ?? null,
    ts: typeof event.ts === 'number' && Number.isFinite(event.ts) ? Math.trunc(event.ts) : null,
  };
}

/**
 * Maps a decoded Avro record back to the JSON form, which then goes through the same
 * validation as JSON input. Throws ChangeRejected when the row or key is not JSON text.
 */
export function fromAvroRecord(record: AvroChangeRecord): Record<string, unknown> {
  const event: Record<string, unknown> = { table: record.table, op: record.op };
  const field = record.op === 'upsert' ? 'row' : 'key';
  const text = record[field];
  if (text !== null) {
    try {
      event[field] = parseBoundedJson(text);
    } catch (error) {
      const issue = (error as ChangeRejected).issues[0]!;
      throw new ChangeRejected([
        { code: issue.code, field, message: `the Avro field ${field} must hold JSON text: ${issue.message}` },
      ]);
    }
  }
  if (record.version !== null) event.version = record.version;
  if (record.id !== null) event.id = record.id;
  if (record.ts !== null) event.ts = record.ts;
  return event;
}

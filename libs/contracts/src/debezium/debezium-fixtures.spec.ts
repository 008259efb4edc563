import { parseConfig } from '@app/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../change-event';
import { validateChange } from '../validate-change';
import { parseExactJson } from './exact-json';
import { mapDebeziumRecord, type DebeziumOutcome, type DebeziumSourceTable } from './map-debezium-record';

/*
 * The records a real Debezium PostgreSQL connector wrote (test/cdc/debezium-connect.test.ts
 * captures them, with JsonConverter schemas and without), mapped and then validated as the
 * router validates every change. Their LSNs and times change when they are captured again, so
 * versions are checked against each record's own source block and against stream order.
 */

const FIXTURES = join(__dirname, '../../../../test/cdc/fixtures');

interface Fixture {
  topic: string;
  records: Record<string, { key: string | null; value: string | null; headers: Record<string, string> }>;
}

const config = parseConfig({
  tables: [
    {
      name: 'warehouse.items',
      columns: {
        id: 'bigint',
        name: 'text',
        qty: 'integer',
        small: 'integer',
        ratio: 'double',
        price: 'numeric(12,3)',
        amount: 'numeric(38,26)',
        created_at: 'timestamptz',
        local_ts: 'timestamp',
        day: 'date',
        at_time: 'text',
        uid: 'text',
        doc: 'json',
        active: 'boolean',
        big: 'bigint',
        payload: 'text',
        tags: 'json',
        blob: 'text',
        lsn: 'bigint',
      },
      primaryKey: ['id'],
      version: 'lsn',
    },
  ],
});

/** Row 1 as the snapshot reads it; a time column loads as text, and without a schema as its micros. */
const snapshotRow = (atTime: unknown) => ({
  id: 1,
  name: 'first',
  qty: 2147483647,
  small: -32768,
  ratio: 0.1,
  price: '12345.678',
  amount: '3.14159265358979323846264338',
  created_at: '2024-02-29T12:34:56.789012Z',
  local_ts: '2024-02-29T23:59:59.999999',
  day: '1969-12-31',
  at_time: atTime,
  uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  doc: { a: [1, 2.5, 'x'], n: null },
  active: true,
  big: '9223372036854775807',
  payload: 'AP8Q',
  tags: ['a', 'b c', null],
  blob: 'short text',
});

describe.each([
  ['schemas', '13:14:15.161718'],
  ['schemaless', 47655161718],
])('the captured Debezium records, JSON %s', (mode, atTime) => {
  const fixture = JSON.parse(
    readFileSync(join(FIXTURES, `debezium-postgres-${mode}.json`), 'utf8'),
  ) as Fixture;
  const asked: DebeziumSourceTable[] = [];
  const outcomes: Record<string, DebeziumOutcome> = {};
  const lsns: Record<string, string> = {};
  for (const [name, raw] of Object.entries(fixture.records)) {
    const value = raw.value === null ? null : parseExactJson(raw.value);
    const parse = { topic: fixture.topic, key: raw.key === null ? null : parseExactJson(raw.key), value };
    outcomes[name] = mapDebeziumRecord({ ...parse, headers: raw.headers }, (source) => {
      asked.push(source);
      return {
        contract: config.tables[0]!,
        unavailableValue: '__debezium_unavailable_value',
        undeclaredColumns: 'dead-letter',
      };
    });
    if (raw.value !== null) lsns[name] = /"lsn":(\d+)/.exec(raw.value)![1]!;
  }
  const event = (name: string): ChangeEvent => {
    const outcome = outcomes[name]!;
    if (outcome.kind !== 'changes') throw new Error(`${name} was skipped: ${outcome.reason}`);
    return outcome.events[0]!;
  };
  const changed = [
    'snapshotRead',
    'insert',
    'update',
    'updateToastUnchanged',
    'pkChangeCreate',
    'delete',
    'truncate',
  ];

  it('binds every change by source.schema and source.table', () => {
    expect(new Set(asked.map((s) => `${s.schema}.${s.table} ${s.topic}`))).toEqual(
      new Set(['shop.items cdc.shop.items']),
    );
  });

  it('reads the snapshot row with every logical type, exactly', () => {
    expect(event('snapshotRead')).toMatchObject({
      op: 'upsert',
      row: { ...snapshotRow(atTime), lsn: lsns.snapshotRead },
    });
  });

  it('reads an insert, an update and the extremes of bigint', () => {
    expect(event('insert')).toMatchObject({
      op: 'upsert',
      row: {
        id: 4,
        name: 'fourth',
        created_at: '2024-12-31T23:00:00.000000Z',
        day: '2025-01-01',
        big: '-9223372036854775808',
      },
    });
    expect(event('update')).toMatchObject({ op: 'upsert', row: { id: 4, name: 'fourth, renamed' } });
  });

  it('keeps the TOAST column the update did not log', () => {
    const toast = event('updateToastUnchanged');
    expect(toast).toMatchObject({ op: 'upsert', unchanged: ['blob'], row: { id: 3, qty: 33 } });
    expect(toast.op === 'upsert' && toast.row).not.toHaveProperty('blob');
  });

  it('turns the primary-key update into one move', () => {
    expect(outcomes.pkChangeDelete).toMatchObject({ kind: 'skipped' });
    expect(outcomes.pkChangeTombstone).toMatchObject({ kind: 'skipped' });
    expect(event('pkChangeCreate')).toMatchObject({ op: 'upsert', movedFrom: { id: 4 }, row: { id: 40 } });
  });

  it('deletes by key, skips the tombstone, truncates', () => {
    expect(event('delete')).toEqual(expect.objectContaining({ op: 'delete', key: { id: 2 } }));
    expect(outcomes.deleteTombstone).toMatchObject({ kind: 'skipped' });
    expect(event('truncate')).toEqual(expect.objectContaining({ op: 'truncate', table: 'warehouse.items' }));
  });

  it('versions every change by its LSN, rising in stream order, and validates', () => {
    for (const name of changed) {
      expect(event(name).version).toBe(lsns[name]);
      expect(() => validateChange(config, event(name))).not.toThrow();
    }
    const versions = changed.map((name) => BigInt(lsns[name]!));
    expect([...versions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(versions);
  });
});

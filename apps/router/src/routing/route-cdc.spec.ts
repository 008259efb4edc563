import { parseConfig } from '@app/config';
import { ChangeRejected, DEFAULT_VALUE_RULES, parseTransforms } from '@app/contracts';
import type { PipelineRecord } from '@app/kafka';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cdcRouting } from './route-cdc';
import { routeRecord, type RouteContext } from './route-record';

/** Records Debezium 3.6 wrote for PostgreSQL, captured by test/cdc/debezium-connect.test.ts. */
interface Fixture {
  topic: string;
  records: Record<string, { key: string | null; value: string | null; headers: Record<string, string> }>;
}
const fixture = (mode: 'schemas' | 'schemaless'): Fixture =>
  JSON.parse(
    readFileSync(join(__dirname, `../../../../test/cdc/fixtures/debezium-postgres-${mode}.json`), 'utf8'),
  ) as Fixture;

const raw = (undeclaredColumns: 'ignore' | 'dead-letter') => ({
  topics: { ingest: 'in', changes: 'out', dlq: 'dead' },
  tables: [
    {
      name: 'public.items',
      columns: {
        id: 'bigint',
        name: 'text',
        qty: 'integer',
        price: 'numeric(12,3)',
        created_at: 'timestamptz',
        local_ts: 'timestamp',
        day: 'date',
        doc: 'json',
        active: 'boolean',
        big: 'bigint',
        blob: 'text',
        source_lsn: 'bigint',
      },
      primaryKey: ['id'],
      version: 'source_lsn',
    },
  ],
  cdc: [
    {
      name: 'shop',
      topicPattern: 'cdc\\.shop\\..*',
      tables: [{ source: 'shop.items', table: 'public.items', undeclaredColumns }],
    },
  ],
});
const contextFor = (undeclaredColumns: 'ignore' | 'dead-letter' = 'ignore'): RouteContext => {
  const file = raw(undeclaredColumns);
  const config = parseConfig(file);
  const noAvro = { decode: () => Promise.reject(new Error('JSON only here')) };
  return {
    config,
    transforms: parseTransforms(file, config),
    rules: DEFAULT_VALUE_RULES,
    topics: config.topics,
    lanes: new Map([['public.items', 3]]),
    dlqPartitions: 1,
    cdc: cdcRouting(config, noAvro),
  };
};
const noIngestAvro = {
  decode: () => Promise.reject(new ChangeRejected([{ code: 'UNKNOWN_SCHEMA', message: 'not used' }])),
};
const recordOf = (f: Fixture, name: string): PipelineRecord => {
  const r = f.records[name]!;
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = Buffer.from(v);
  return {
    topic: f.topic,
    partition: 0,
    offset: '7',
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    headers,
  };
};

describe.each(['schemas', 'schemaless'] as const)('routing Debezium records (JSON %s)', (mode) => {
  const f = fixture(mode);
  const route = (name: string, ctx = contextFor()) => routeRecord(ctx, recordOf(f, name), noIngestAvro);
  const changeOf = async (name: string) => {
    const result = await route(name);
    if (result.kind !== 'change')
      throw new Error(`${name} routed as ${result.kind}: ${JSON.stringify(result)}`);
    expect(result.output).toMatchObject({ topic: 'out', partition: 3, key: 'public.items' });
    return JSON.parse(String(result.output.value)) as Record<string, unknown>;
  };

  it('puts a snapshot read on its table’s lane as an upsert versioned by the source LSN', async () => {
    const change = await changeOf('snapshotRead');
    expect(change).toMatchObject({ table: 'public.items', op: 'upsert' });
    const row = change.row as Record<string, unknown>;
    expect(row).toMatchObject({ id: 1, name: 'first', price: '12345.678', day: '1969-12-31', active: true });
    expect(String(row.big)).toBe('9223372036854775807');
    expect(String(change.version)).toMatch(/^\d+$/);
    expect(String(row.source_lsn)).toBe(String(change.version));
    // Columns the contract does not declare (small, ratio, amount, uid, payload, tags) are dropped.
    expect(Object.keys(row)).not.toContain('tags');
  });

  it('keeps the warehouse value of a TOAST column the source did not log', async () => {
    const change = await changeOf('updateToastUnchanged');
    expect(change.unchanged).toEqual(['blob']);
    expect(change.row as object).not.toHaveProperty('blob');
  });

  it('skips tombstones and the delete half of a primary-key update; the create half moves the row', async () => {
    expect((await route('pkChangeDelete')).kind).toBe('filtered');
    expect((await route('pkChangeTombstone')).kind).toBe('filtered');
    expect((await route('deleteTombstone')).kind).toBe('filtered');
    const moved = await changeOf('pkChangeCreate');
    expect(moved).toMatchObject({ op: 'upsert', movedFrom: { id: 4 } });
    expect((moved.row as { id: number }).id).toBe(40);
  });

  it('deletes by key and truncates in lane order', async () => {
    expect(await changeOf('delete')).toMatchObject({ op: 'delete', key: { id: expect.anything() } });
    const truncate = await changeOf('truncate');
    expect(truncate).toMatchObject({ table: 'public.items', op: 'truncate' });
    expect(String(truncate.version)).toMatch(/^\d+$/);
  });

  it('dead-letters a change with undeclared columns when the binding says so, keeping the bytes', async () => {
    const result = await route('snapshotRead', contextFor('dead-letter'));
    expect(result.kind).toBe('dead');
    if (result.kind !== 'dead') return;
    expect(result.error.code).toBe('UNKNOWN_COLUMN');
    expect(result.output.topic).toBe('dead');
    expect(result.output.value).toEqual(recordOf(f, 'snapshotRead').value);
  });
});

describe('routing a malformed CDC record', () => {
  it('dead-letters bytes that are not JSON, and an envelope without an op', async () => {
    const ctx = contextFor();
    const record = (value: string): PipelineRecord => ({
      topic: 'cdc.shop.items',
      partition: 0,
      offset: '1',
      key: null,
      value: Buffer.from(value),
      headers: {},
    });
    const notJson = await routeRecord(ctx, record('{"op": '), noIngestAvro);
    expect(notJson).toMatchObject({ kind: 'dead', error: { code: 'MALFORMED_JSON' } });
    const noOp = await routeRecord(ctx, record('{"after": {"id": 1}, "source": {}}'), noIngestAvro);
    expect(noOp).toMatchObject({ kind: 'dead' });
  });
});

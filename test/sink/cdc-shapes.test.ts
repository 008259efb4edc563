import { Client } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig } from '@app/config';
import { validateChange } from '@app/contracts';
import {
  CopyFromStdinLoader,
  PostgresDestination,
  RedshiftDestination,
  type Destination,
} from '@app/warehouse';
import { BatchStager } from '@app/sink/flush/batch-stager';
import { reduceBatch } from '@app/sink/lane/reduce-batch';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testConnection, testPool } from '../support/postgres';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';

type Change = Record<string, unknown> & { table: string };

/** A role that is dropped, with its grants, when the test finishes (roles outlive schemas). */
async function roleForTest(pool: { query(text: string): Promise<unknown> }): Promise<string> {
  const role = uniqueName('tl_reader');
  await pool.query(`CREATE ROLE "${role}"`);
  onTestFinished(async () => {
    const client = new Client(testConnection());
    await client.connect();
    await client.query(`DROP OWNED BY "${role}"`);
    await client.query(`DROP ROLE IF EXISTS "${role}"`);
    await client.end();
  });
  return role;
}

/** The `batch committed` lines of the sink's debug log for one table: how many changes each batch took. */
function batchSizes(output: string, table: string): number[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"batch committed"'))
    .map((line) => JSON.parse(line) as { table: string; changes: number })
    .filter((entry) => entry.table === table)
    .map((entry) => entry.changes);
}

describe.each(['s3', 'direct'] as const)('CDC shapes through the sink (staging: %s)', (staging) => {
  it('keeps unchanged columns, moves rows with their kept values, and truncates in place', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('cdc', 1);
    const docs = `${schema}.docs`;
    const logs = `${schema}.logs`;
    const columns = { id: 'bigint', title: 'text', body: 'text', ver: 'bigint' };
    const sink = startSink(
      writeConfig({
        topics: { changes, dlq: `${changes}.dlq` },
        warehouse: { stateSchema: state, staging },
        // Each step is sent at once and flushed by age: one batch per table and step.
        defaults: { flush: { maxAgeMs: 1500 } },
        tables: [
          { name: docs, columns, primaryKey: ['id'], version: 'ver' },
          { name: logs, columns, primaryKey: ['id'], version: 'ver' },
        ],
      }),
      { TABLELANE_SINK_GROUP: group, LOG_LEVEL: 'debug' },
    );
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const step = async (events: Change[]) => {
      await producer.send({
        topic: changes,
        acks: -1,
        messages: events.map((e) => ({ key: e.table, partition: 0, value: JSON.stringify(e) })),
      });
      await caughtUp();
    };
    const upsert = (table: string, row: object, version: number, more: object = {}): Change => ({
      table,
      op: 'upsert',
      row,
      version,
      ...more,
    });
    const rows = async (table: string) =>
      (await pool.query(`SELECT id::int, title, body, ver::int FROM ${table} ORDER BY id`)).rows;

    // Step 1: what the warehouse holds before the CDC shapes arrive.
    await step([
      upsert(docs, { id: 1, title: 't1', body: 'B1' }, 1),
      upsert(docs, { id: 2, title: 't2', body: 'B2' }, 1),
      ...[1, 2, 3].map((id) => upsert(logs, { id, title: `l${id}`, body: 'x' }, 1)),
    ]);
    const role = await roleForTest(pool);
    await pool.query(`CREATE VIEW "${schema}".logs_view AS SELECT id, title FROM ${logs}`);
    await pool.query(`GRANT SELECT ON ${logs} TO "${role}"`);
    const logsOid = (await pool.query(`SELECT '${logs}'::regclass::oid AS oid`)).rows[0].oid;

    // Step 2, one batch per table.
    await step([
      // A partial upsert keeps the value the warehouse holds from an earlier batch...
      upsert(docs, { id: 1, title: 't1b' }, 2, { unchanged: ['body'] }),
      // ...and the value of the full upsert before it in the batch.
      upsert(docs, { id: 3, title: 't3', body: 'B3' }, 1),
      upsert(docs, { id: 3, title: 't3b', body: '__debezium_unavailable_value' }, 2, { unchanged: ['body'] }),
      // A move takes the kept value from the old key's row in the target...
      upsert(docs, { id: 20, title: 't20' }, 2, { unchanged: ['body'], movedFrom: { id: 2 } }),
      // ...or from the old key's upsert in the same batch.
      upsert(docs, { id: 4, title: 't4', body: 'B4' }, 1),
      upsert(docs, { id: 40, title: 't40' }, 2, { unchanged: ['body'], movedFrom: { id: '4' } }),
      upsert(logs, { id: 4, title: 'before the truncate', body: 'x' }, 5),
      { table: logs, op: 'truncate', version: 10 },
      upsert(logs, { id: 5, title: 'after the truncate', body: 'x' }, 11),
      // Stale: row 1 existed when the table was emptied.
      upsert(logs, { id: 1, title: 'stale', body: 'x' }, 3),
    ]);
    expect(batchSizes(sink.output(), docs).at(-1), 'the docs step was one batch').toBe(6);
    expect(batchSizes(sink.output(), logs).at(-1), 'the logs step was one batch').toBe(4);

    // Step 3, the next batch: changes after the truncate apply, stale ones still do not.
    await step([
      upsert(docs, { id: 20, title: 't20b' }, 3, { unchanged: ['body'] }),
      upsert(logs, { id: 6, title: 'next batch', body: 'x' }, 12),
      upsert(logs, { id: 2, title: 'stale', body: 'x' }, 4),
      upsert(logs, { id: 4, title: 'stale', body: 'x' }, 6),
    ]);

    expect(await rows(docs)).toEqual([
      { id: 1, title: 't1b', body: 'B1', ver: 2 },
      { id: 3, title: 't3b', body: 'B3', ver: 2 },
      { id: 20, title: 't20b', body: 'B2', ver: 3 },
      { id: 40, title: 't40', body: 'B4', ver: 2 },
    ]);
    expect(await rows(logs)).toEqual([
      { id: 5, title: 'after the truncate', body: 'x', ver: 11 },
      { id: 6, title: 'next batch', body: 'x', ver: 12 },
    ]);
    // Emptied in place: the same table, its view and its grant.
    expect((await pool.query(`SELECT '${logs}'::regclass::oid AS oid`)).rows[0].oid).toBe(logsOid);
    expect((await pool.query(`SELECT id::int FROM "${schema}".logs_view ORDER BY id`)).rows).toEqual([
      { id: 5 },
      { id: 6 },
    ]);
    const granted = await pool.query(`SELECT has_table_privilege($1, $2, 'SELECT') AS ok`, [role, logs]);
    expect(granted.rows[0].ok).toBe(true);
    expect(sink.output()).not.toContain('sent to the dead-letter topic');
  });
});

/**
 * The same shapes through reduceBatch, the stager and each dialect's destination in this
 * process: the Redshift dialect's statements run on PostgreSQL in its compatible mode (COPY
 * FROM STDIN for COPY FROM S3), a JSON column among the kept ones.
 */
describe.each([
  [
    'PostgreSQL',
    (state: string): Destination =>
      new PostgresDestination({
        pool: testConnection(),
        stateSchema: state,
        createTables: true,
        lockTimeoutMs: 5000,
      }),
  ],
  [
    'the Redshift dialect on PostgreSQL',
    (state: string): Destination =>
      new RedshiftDestination({
        pool: testConnection(),
        stateSchema: state,
        createTables: true,
        lockTimeoutMs: 5000,
        loadTimeoutMs: 60_000,
        lockTables: true,
        loader: new CopyFromStdinLoader(),
        dialect: { compatibility: 'postgres' },
      }),
  ],
])('CDC shapes merged by %s', (_name, create) => {
  it('keeps JSON and text columns across a move, and remembers every truncated key', async () => {
    const pool = testPool();
    const schema = uniqueName('cdcd');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const config = parseConfig({
      tables: [
        {
          name: `${schema}.docs`,
          columns: { id: 'bigint', title: 'text', body: 'text', meta: 'json', ver: 'bigint' },
          primaryKey: ['id'],
          version: 'ver',
        },
      ],
    });
    const contract = config.tables[0]!;
    const destination = create(state);
    onTestFinished(() => destination.close());
    await destination.prepareTable(contract);
    let claim = await destination.claimLane(contract, 'changes', 0, 'cdc');
    let offset = 0;
    const apply = async (raws: object[]) => {
      const changes = raws.map((raw) => ({
        offset: offset++,
        change: validateChange(config, { table: contract.name, ...raw }),
        bytes: 1,
        receivedAt: 0,
        raw: { key: null, value: null },
      }));
      const rows = reduceBatch(contract, changes);
      const staged = await new BatchStager(undefined, '').stage(contract, 'changes', 0, 0, offset - 1, rows);
      await destination.applyBatch({
        contract,
        topic: 'changes',
        partition: 0,
        claim,
        nextOffset: offset - 1,
        rowCount: rows.length,
        ...staged,
      });
      claim = { ...claim, lastOffset: offset - 1 };
    };
    const select = async (table: string) =>
      (await pool.query(`SELECT id::int, ver::int FROM ${table} ORDER BY id`)).rows;

    await apply([
      { op: 'upsert', row: { id: 1, title: 'a', body: 'B1', meta: { m: 1 } }, version: 1 },
      { op: 'upsert', row: { id: 2, title: 'b', body: 'B2', meta: { m: 2 } }, version: 1 },
      { op: 'upsert', row: { id: 3, title: 'c', body: 'B3' }, version: 1 },
    ]);
    await apply([
      { op: 'upsert', row: { id: 1, title: 'a2' }, unchanged: ['body', 'meta'], version: 2 },
      {
        op: 'upsert',
        row: { id: 20, title: 'b2' },
        unchanged: ['body', 'meta'],
        movedFrom: { id: 2 },
        version: 2,
      },
    ]);
    const docs = await pool.query(
      `SELECT id::int, title, body, meta::text FROM "${schema}".docs ORDER BY id`,
    );
    expect(docs.rows.map((r) => ({ ...r, meta: r.meta && JSON.parse(r.meta) }))).toEqual([
      { id: 1, title: 'a2', body: 'B1', meta: { m: 1 } },
      { id: 3, title: 'c', body: 'B3', meta: null },
      { id: 20, title: 'b2', body: 'B2', meta: { m: 2 } },
    ]);

    await apply([
      { op: 'truncate', version: 10 },
      { op: 'upsert', row: { id: 5, title: 'e' }, version: 11 },
      { op: 'upsert', row: { id: 3, title: 'stale' }, version: 4 },
    ]);
    expect(await select(`"${schema}".docs`)).toEqual([{ id: 5, ver: 11 }]);
    // Every key the table held when emptied is remembered at the truncate's version, once; the
    // move's delete of key 2 stays as it was.
    expect(await select(`"${state}"."${schema}__docs__tomb"`)).toEqual([
      { id: 1, ver: 10 },
      { id: 2, ver: 2 },
      { id: 3, ver: 10 },
      { id: 20, ver: 10 },
    ]);
  });
});

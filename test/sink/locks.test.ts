import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PoolClient } from 'pg';
import { parseConfig } from '@app/config';
import { PostgresDestination } from '@app/warehouse';
import { testConnection } from '../support/postgres';
import { stackEnv } from '../support/env';
import { testKafka, waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { freePort } from '../support/ports';
import { sinkStatus, startSink, writeConfig } from '../support/sink-process';
import { diffWarehouse, generateWorkload, produceWorkload } from '../support/workload';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../dist/apps/cli/src/main.js');

const connection = testConnection();

async function send(kafka: ReturnType<typeof testKafka>, topic: string, partition: number, events: object[]) {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: events.map((e) => ({
      key: (e as { table: string }).table,
      value: JSON.stringify(e),
      partition,
    })),
  });
  await producer.disconnect();
}

describe('lock-aware loading', () => {
  it('adds a column behind an analyst transaction without delaying other readers, reports the blocker, loses nothing', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('locks', 1);
    const v1 = {
      name: `${schema}.accounts`,
      columns: { id: 'bigint', name: 'text' },
      primaryKey: ['id'],
      lane: 0,
    };
    const v2 = { ...v1, columns: { ...v1.columns, balance: 'numeric(12,2)' } };
    const bootstrap = new PostgresDestination({
      pool: connection,
      stateSchema: state,
      createTables: true,
      lockTimeoutMs: 1000,
    });
    await bootstrap.prepareTable(parseConfig({ tables: [v1] }).tables[0]!);
    await bootstrap.close();
    await pool.query(`INSERT INTO "${schema}".accounts VALUES (0, 'existing')`);

    // The analyst has read the table inside an open transaction: ALTER TABLE must wait.
    const analyst: PoolClient = await pool.connect();
    const analystPid = (await analyst.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await analyst.query('BEGIN');
    await analyst.query(`SELECT count(*) FROM "${schema}".accounts /* analyst report */`);

    const ddlLockTimeoutMs = 300;
    const port = await freePort();
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state, lockTimeoutMs: 1000, ddlLockTimeoutMs },
      tables: [v2],
    };
    const configPath = writeConfig(config);
    const sink = startSink(configPath, { TABLELANE_SINK_GROUP: group, PORT: String(port) });
    await send(
      kafka,
      changes,
      0,
      Array.from({ length: 50 }, (_, i) => ({
        table: v2.name,
        op: 'upsert',
        row: { id: i + 1, name: `n${i}`, balance: `${i}.25` },
      })),
    );

    // Other readers keep querying while the loader retries its ALTER: measure their delays.
    let worst = 0;
    const readerDeadline = Date.now() + 4000;
    while (Date.now() < readerDeadline) {
      const started = Date.now();
      await pool.query(`SELECT count(*) FROM "${schema}".accounts`);
      worst = Math.max(worst, Date.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(worst).toBeLessThan(2 * ddlLockTimeoutMs + 100);

    const status = await sinkStatus(port);
    const episode = status.blocked.find((b) => b.table === v2.name);
    expect(episode?.blockers.map((b) => b.pid)).toContain(analystPid);
    expect(episode?.blockers.find((b) => b.pid === analystPid)?.query).toContain('analyst report');
    expect(sink.output()).toContain(`loader blocked on ${v2.name}`);
    // `tablelane locks --ddl` names the same blocker from a shell.
    const cli = await run(process.execPath, [CLI, 'locks', '--ddl', '--json'], {
      env: { ...process.env, ...stackEnv, TABLELANE_CONFIG: configPath },
    });
    expect(
      (JSON.parse(cli.stdout) as { pid: number; table: string }[]).find((b) => b.pid === analystPid),
    ).toMatchObject({ table: v2.name });

    await analyst.query('COMMIT');
    analyst.release();
    await caughtUp();
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, count(balance)::int AS with_balance, sum(balance)::text AS total FROM "${schema}".accounts`,
    );
    expect(rows[0]).toEqual({ n: 51, with_balance: 50, total: '1237.50' });
  });

  it('backs off behind LOCK TABLE ... IN EXCLUSIVE MODE, reports the holder, and catches up to the model', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('locks', 2);
    const workload = generateWorkload(schema, 4, 150, 5);
    const port = await freePort();
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state, lockTimeoutMs: 400 },
      defaults: { flush: { maxAgeMs: 200 } },
      tables: workload.tables,
    };
    const tables = parseConfig(config).tables;
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group, PORT: String(port) });
    await produceWorkload(() => kafka.producer({ idempotent: true }), changes, 2, workload, tables, 0, 2);
    await caughtUp();

    const locker = await pool.connect();
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE "${schema}".sales IN EXCLUSIVE MODE`);
    const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await produceWorkload(() => kafka.producer({ idempotent: true }), changes, 2, workload, tables, 1, 2);
    await waitFor(
      'the sink to report the lock holder',
      async () => (await sinkStatus(port)).blocked.some((b) => b.blockers.some((x) => x.pid === lockerPid)),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    await locker.query('COMMIT');
    locker.release();

    await caughtUp();
    expect(await diffWarehouse(pool, workload)).toEqual([]);
    expect(sink.output()).toContain('loader unblocked on');
    expect((await sinkStatus(port)).blocked).toEqual([]);
  });

  it('cancels only blockers older than the threshold, and only for tables that opt in', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('locks', 2);
    const optIn = {
      name: `${schema}.opt_in`,
      columns: { id: 'bigint' },
      primaryKey: ['id'],
      lane: 0,
      locks: { onTimeout: 'cancel-blockers', cancelOlderThanMs: 4000 },
    };
    const waiting = { name: `${schema}.waiting`, columns: { id: 'bigint' }, primaryKey: ['id'], lane: 1 };
    const bootstrap = new PostgresDestination({
      pool: connection,
      stateSchema: state,
      createTables: true,
      lockTimeoutMs: 1000,
    });
    for (const table of parseConfig({ tables: [optIn, waiting] }).tables) await bootstrap.prepareTable(table);
    await bootstrap.close();

    // A blocker: a session that locked the table and runs a long query (cancellable).
    const block = async (table: string) => {
      const client = await pool.connect();
      await client.query('BEGIN');
      await client.query(`LOCK TABLE "${schema}".${table} IN SHARE MODE`);
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const running = client.query('SELECT pg_sleep(60)').then(
        () => 'finished',
        (error: { code?: string }) => (error.code === '57014' ? 'cancelled' : `failed ${error.code}`),
      );
      void running
        .then(() => client.query('ROLLBACK').catch(() => undefined))
        .finally(() => client.release());
      return { running, pid };
    };
    const oldOptIn = await block('opt_in');
    const oldWaiting = await block('waiting');
    // The old blockers are 5 s old when the sink meets them, the young one under 1 s.
    await new Promise((r) => setTimeout(r, 5000));
    const youngOptIn = await block('opt_in');

    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state, lockTimeoutMs: 300 },
      tables: [optIn, waiting],
    };
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group });
    await send(kafka, changes, 0, [{ table: optIn.name, op: 'upsert', row: { id: 1 } }]);
    await send(kafka, changes, 1, [{ table: waiting.name, op: 'upsert', row: { id: 1 } }]);

    expect(await oldOptIn.running).toBe('cancelled');
    const stillRunning = await pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'`,
    );
    const pids = stillRunning.rows.map((r) => r.pid);
    expect(pids).toContain(youngOptIn.pid);
    expect(pids).toContain(oldWaiting.pid);
    expect(sink.output()).toContain(`CANCELLED the statement of blocking session ${oldOptIn.pid}`);
    expect(sink.output()).not.toContain(`blocking session ${oldWaiting.pid}`);

    // Release the rest; both tables load.
    await pool.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [
      [youngOptIn.pid, oldWaiting.pid],
    ]);
    await caughtUp();
    const loaded = await pool.query(
      `SELECT (SELECT count(*) FROM "${schema}".opt_in)::int AS a, (SELECT count(*) FROM "${schema}".waiting)::int AS b`,
    );
    expect(loaded.rows[0]).toEqual({ a: 1, b: 1 });
  });

  it('never counts a cancel against a blocker idle in its transaction; terminates it only where the table opts in', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('idlelock', 2);
    const cancelOnly = {
      name: `${schema}.cancel_only`,
      columns: { id: 'bigint' },
      primaryKey: ['id'],
      lane: 0,
      locks: { onTimeout: 'cancel-blockers', cancelOlderThanMs: 1000 },
    };
    const terminate = {
      ...cancelOnly,
      name: `${schema}.terminate`,
      lane: 1,
      locks: { onTimeout: 'cancel-blockers', cancelOlderThanMs: 1000, terminateIdleOlderThanMs: 2000 },
    };
    const bootstrap = new PostgresDestination({
      pool: connection,
      stateSchema: state,
      createTables: true,
      lockTimeoutMs: 1000,
    });
    for (const table of parseConfig({ tables: [cancelOnly, terminate] }).tables)
      await bootstrap.prepareTable(table);
    await bootstrap.close();

    // Analysts who locked a table and went to lunch: idle in transaction, nothing to cancel.
    const idleBlocker = async (table: string) => {
      const client = await pool.connect();
      client.on('error', () => undefined);
      await client.query('BEGIN');
      await client.query(`LOCK TABLE "${schema}".${table} IN SHARE MODE`);
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      onTestFinished(async () => {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(true);
      });
      return pid;
    };
    const lunch = await idleBlocker('cancel_only');
    const longLunch = await idleBlocker('terminate');
    await new Promise((r) => setTimeout(r, 2500));

    const port = await freePort();
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state, lockTimeoutMs: 300 },
      tables: [cancelOnly, terminate],
    };
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group, PORT: String(port) });
    await send(kafka, changes, 0, [{ table: cancelOnly.name, op: 'upsert', row: { id: 1 } }]);
    await send(kafka, changes, 1, [{ table: terminate.name, op: 'upsert', row: { id: 1 } }]);

    // The opted-in table's blocker is terminated and the table loads.
    await waitFor(
      'the opted-in table to load',
      async () => (await pool.query(`SELECT 1 FROM "${schema}".terminate`)).rowCount === 1,
      30_000,
    );
    expect(sink.output()).toContain(`TERMINATED blocking session ${longLunch}`);
    // The other blocker is still there: reported once as beyond a cancel, never "cancelled".
    await new Promise((r) => setTimeout(r, 3000));
    const alive = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [lunch]);
    expect(alive.rowCount).toBe(1);
    expect(sink.output()).not.toContain(`CANCELLED the statement of blocking session ${lunch}`);
    expect(sink.output().split(`blocking session ${lunch} (`).length - 1).toBe(1);
    expect(await scrapeCancelled(port, cancelOnly.name)).toBe(0);

    await pool.query('SELECT pg_terminate_backend($1)', [lunch]);
    await caughtUp();
  });
});

async function scrapeCancelled(port: number, table: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('tablelane_sink_cancelled_blockers_total{') && l.includes(`table="${table}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

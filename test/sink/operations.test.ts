import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { stackEnv } from '../support/env';
import { waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { freePort } from '../support/ports';
import { startSink, writeConfig } from '../support/sink-process';
import { diffWarehouse, generateWorkload, produceWorkload } from '../support/workload';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../dist/apps/cli/src/main.js');

async function scrape(port: number, metric: string, table: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`table="${table}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Changes the sink has read from the changes topic since it started, over all tables. */
async function consumed(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('tablelane_sink_changes_consumed_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('operating the sink', () => {
  it('loses and duplicates nothing when SIGTERMed mid-load, again and again', async () => {
    const { kafka, pool, schema, state, changes, group, lag } = await sinkTestSetup('ops', 2);
    const workload = generateWorkload(schema, 8, 200, 23);
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 300 } },
      tables: workload.tables,
    };
    const configPath = writeConfig(config);
    const tables = parseConfig(config).tables;
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const sink = startSink(configPath, {
        TABLELANE_SINK_GROUP: group,
        TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
      });
      await waitFor('the sink to join', async () => sink.output().includes('joined the sink group'), 30_000);
      const producing = produceWorkload(
        () => kafka.producer({ idempotent: true }),
        changes,
        2,
        workload,
        tables,
        round,
        rounds,
      );
      // Stop it while changes are still arriving and buffered.
      await new Promise((r) => setTimeout(r, 400));
      sink.child.kill('SIGTERM');
      expect(await sink.exited, sink.output().slice(-2000)).toBe(0);
      expect(sink.output()).toContain('stopping: flushing buffered lanes');
      expect(sink.output()).toContain('"msg":"stopped"');
      await producing;
    }
    const last = startSink(configPath, {
      TABLELANE_SINK_GROUP: group,
      TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
    });
    await waitFor(
      'the last sink to join',
      async () => last.output().includes('joined the sink group'),
      30_000,
    );
    await waitFor('the last sink to catch up', async () => (await lag()) === 0, 60_000);
    last.child.kill('SIGTERM');
    expect(await last.exited, last.output().slice(-2000)).toBe(0);
    expect(await diffWarehouse(pool, workload)).toEqual([]);
  });

  it('drains on SIGTERM: at exit, every owned partition is committed up to the end of what it consumed', async () => {
    const { kafka, pool, schema, state, changes, group, admin } = await sinkTestSetup('drain', 2);
    const workload = generateWorkload(schema, 8, 200, 29);
    // Both partitions carry tables, so the drain must commit each of them.
    const pins: Record<string, number> = { sales: 0, clicks: 0, users: 1, orders: 1, audit: 1 };
    // Flushes by age come a minute late and by rows never: whatever is durable when the sink
    // exits, its drain made durable.
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 60_000 } },
      tables: workload.tables.map((t) => ({
        ...t,
        lane: pins[(t as { name: string }).name.split('.')[1]!],
      })),
    };
    const configPath = writeConfig(config);
    const tables = parseConfig(config).tables;
    const committed = async () =>
      new Map(
        (await admin.fetchOffsets({ groupId: group, topics: [changes] }))[0]!.partitions.map((p) => [
          p.partition,
          Math.max(0, Number(p.offset)),
        ]),
      );
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      const port = await freePort();
      // Alone in its group, the sink owns every partition of the topic.
      const sink = startSink(configPath, {
        TABLELANE_SINK_GROUP: group,
        TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
        PORT: String(port),
      });
      await waitFor('the sink to join', async () => sink.output().includes('joined the sink group'), 30_000);
      const before = await committed();
      await produceWorkload(
        () => kafka.producer({ idempotent: true }),
        changes,
        2,
        workload,
        tables,
        round,
        rounds,
      );
      // Production has stopped: the end of each partition is the end of what the sink will consume.
      const ends = new Map(
        (await admin.fetchTopicOffsets(changes)).map((p) => [p.partition, Number(p.high)]),
      );
      const produced = [...ends].reduce((sum, [p, end]) => sum + end - (before.get(p) ?? 0), 0);
      await waitFor('the sink to consume the round', async () => (await consumed(port)) >= produced, 30_000);
      // Consumed, buffered, not flushed: without a drain, this is what would stay committed.
      expect(await committed()).toEqual(before);

      sink.child.kill('SIGTERM');
      expect(await sink.exited, sink.output().slice(-2000)).toBe(0);
      expect(await committed(), sink.output().slice(-2000)).toEqual(ends);
    }
    expect(await diffWarehouse(pool, workload)).toEqual([]);
  });

  it('shows lag rising while loading is held up and returning to 0 after it resumes, in metrics and in `tablelane lag`', async () => {
    const { kafka, pool, schema, state, changes, group, lag } = await sinkTestSetup('ops', 1);
    const table = `${schema}.events`;
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state, lockTimeoutMs: 300 },
      tables: [{ name: table, columns: { id: 'bigint', body: 'text' }, primaryKey: ['id'] }],
    };
    const configPath = writeConfig(config);
    const port = await freePort();
    const env = { TABLELANE_SINK_GROUP: group, PORT: String(port), TABLELANE_LAG_PROBE_MS: '250' };
    const sink = startSink(configPath, env);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const send = (from: number, count: number) =>
      producer.send({
        topic: changes,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          key: table,
          partition: 0,
          value: JSON.stringify({ table, op: 'upsert', row: { id: from + i, body: 'x' }, ts: Date.now() }),
        })),
      });
    await send(0, 10);
    await waitFor('the first changes to load', async () => (await lag()) === 0, 30_000);

    // Loading is held up by a user's lock: lag in messages and seconds rises.
    const locker = await pool.connect();
    await locker.query('BEGIN');
    await locker.query(
      `LOCK TABLE ${table.replace('.', '"."').replace(/^/, '"').replace(/$/, '"')} IN EXCLUSIVE MODE`,
    );
    await send(10, 200);
    await waitFor(
      'lag in messages to show',
      async () => (await scrape(port, 'tablelane_table_lag_messages', table)) >= 200,
      15_000,
    );
    await waitFor(
      'seconds behind to grow',
      async () => (await scrape(port, 'tablelane_table_lag_seconds', table)) > 1.5,
      15_000,
    );
    await locker.query('COMMIT');
    locker.release();
    await waitFor(
      'lag to return to 0',
      async () =>
        (await scrape(port, 'tablelane_table_lag_messages', table)) === 0 &&
        (await scrape(port, 'tablelane_table_lag_seconds', table)) === 0,
      30_000,
    );

    // The CLI reads lag from the cluster and the checkpoints: behind while the sink is frozen.
    const cli = async () =>
      JSON.parse(
        (
          await run(process.execPath, [CLI, 'lag', '--json'], {
            env: { ...process.env, ...stackEnv, TABLELANE_CONFIG: configPath, TABLELANE_SINK_GROUP: group },
          })
        ).stdout,
      ) as { table: string; messagesBehind: number; checkpoint: number }[];
    sink.child.kill('SIGSTOP');
    await send(210, 50);
    expect((await cli())[0]).toMatchObject({ table, messagesBehind: 50 });
    sink.child.kill('SIGCONT');
    await waitFor('the CLI to show lag 0', async () => (await cli())[0]!.messagesBehind === 0, 30_000);
    expect((await cli())[0]!.checkpoint).toBeGreaterThanOrEqual(259);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".events`);
    expect(rows[0].n).toBe(260);
    await producer.disconnect();
  });
});

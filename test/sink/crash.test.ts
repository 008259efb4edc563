import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { groupLag } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';
import { diffWarehouse, generateWorkload, produceWorkload } from '../support/workload';

const PARTITIONS = 2;
const POINTS = ['after-stage', 'after-copy', 'after-commit'] as const;
const CRASHES_PER_POINT = 3;
const ROUNDS = 30;
// Kills that land on idle pooled connections are silent; this is what the sink logs when one
// lands mid-work, which is what the connection-loss suite must provoke.
const CONNECTION_ERROR = /"code":"(57P01|ECONNRESET|08006|08003)"|Connection terminated|connection error/;
const ROUNDS_UNDER_FIRE = 50;

describe('sink crash safety', () => {
  it('reaches the modelled state although SIGKILLed after staging, after COPY and between warehouse and Kafka commits', async () => {
    const { kafka, pool, schema, state, changes, group } = await sinkTestSetup('crash', PARTITIONS);

    const workload = generateWorkload(schema, 8, 360, 7);
    // Both lanes carry an append table, where a batch applied twice would show as duplicates
    // (merges of a replayed batch are idempotent by design, appends are not).
    const pins: Record<string, number> = { sales: 0, clicks: 0, users: 1, orders: 1, audit: 1 };
    const tablesWithLanes = workload.tables.map((table) => ({
      ...table,
      lane: pins[(table as { name: string }).name.split('.')[1]!],
    }));
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 150, maxRows: 60 } },
      tables: tablesWithLanes,
    };
    const configPath = writeConfig(config);
    const tables = parseConfig(config).tables;
    const produceRound = (round: number) =>
      produceWorkload(
        () => kafka.producer({ idempotent: true }),
        changes,
        PARTITIONS,
        workload,
        tables,
        round,
        ROUNDS,
      );

    const admin = kafka.admin();
    await admin.connect();
    const hits = new Map<string, number>(POINTS.map((p) => [p, 0]));
    let round = 0;
    // Each run arms one fault point (in rotation) and feeds the next round of changes while
    // the sink runs, until every point has killed it a few times. The last run has no faults,
    // gets the remaining rounds, and must finish the job.
    for (let run = 0; run < 60; run++) {
      const armed = POINTS.find((p) => hits.get(p)! < CRASHES_PER_POINT);
      const sink = startSink(configPath, {
        TABLELANE_SINK_GROUP: group,
        TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
        ...(armed ? { TABLELANE_FAULTS: `${armed}=0.5` } : {}),
      });
      const feeding = (async () => {
        if (armed) {
          if (round < ROUNDS - 1) await produceRound(round++);
        } else {
          while (round < ROUNDS) await produceRound(round++);
        }
      })();
      const outcome = await Promise.race([
        sink.exited.then(() => 'killed' as const),
        (async () => {
          await feeding;
          for (;;) {
            await new Promise((r) => setTimeout(r, 300));
            if ((await groupLag(admin, group, changes)) === 0) return 'caught up' as const;
          }
        })(),
      ]);
      await feeding;
      if (outcome === 'caught up') {
        sink.child.kill('SIGKILL');
        await sink.exited;
        if (!armed) break;
        continue;
      }
      const point = /fault point (\S+) hit/.exec(sink.output())?.[1];
      if (!point) throw new Error(`sink exited without a fault point:\n${sink.output().slice(-3000)}`);
      hits.set(point, hits.get(point)! + 1);
    }
    await admin.disconnect();
    expect(round).toBe(ROUNDS);

    expect(Object.fromEntries(hits)).toEqual({
      'after-stage': CRASHES_PER_POINT,
      'after-copy': CRASHES_PER_POINT,
      'after-commit': CRASHES_PER_POINT,
    });
    expect(await diffWarehouse(pool, workload)).toEqual([]);
  }, 420_000);

  it('reaches the modelled state although its warehouse connections are killed again and again mid-load', async () => {
    const { kafka, pool, schema, state, changes, group } = await sinkTestSetup('connloss', 2);
    const workload = generateWorkload(schema, 8, 250, 31);
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 100, maxRows: 50 } },
      tables: workload.tables,
    };
    // Its own application name, so only this test's connections are killed.
    const appName = `tablelane-sink-${group}`.slice(0, 63);
    const sink = startSink(writeConfig(config), { TABLELANE_SINK_GROUP: group, PGAPPNAME: appName });
    const tables = parseConfig(config).tables;
    // Changes keep arriving for a while, so the sink keeps loading while its connections die.
    const producing = (async () => {
      for (let round = 0; round < ROUNDS_UNDER_FIRE; round++) {
        await produceWorkload(
          () => kafka.producer({ idempotent: true }),
          changes,
          2,
          workload,
          tables,
          round,
          ROUNDS_UNDER_FIRE,
        );
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // Kill every connection of the sink, many times, while it loads.
    let killed = 0;
    const admin = kafka.admin();
    await admin.connect();
    const deadline = Date.now() + 120_000;
    let done = false;
    void producing.then(() => (done = true));
    while (Date.now() < deadline && sink.child.exitCode === null) {
      const { rowCount } = await pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
        [appName],
      );
      killed += rowCount ?? 0;
      await new Promise((r) => setTimeout(r, 50));
      const hitMidWork = CONNECTION_ERROR.test(sink.output());
      if (done && hitMidWork && killed >= 10 && (await groupLag(admin, group, changes)) === 0) break;
    }
    await admin.disconnect();
    expect(killed).toBeGreaterThanOrEqual(10);
    expect(sink.child.exitCode, sink.output().slice(-3000)).toBeNull();
    expect(sink.output()).toMatch(CONNECTION_ERROR);
    expect(await diffWarehouse(pool, workload)).toEqual([]);
  });
});

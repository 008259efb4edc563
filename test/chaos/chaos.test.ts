import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { prng } from '@app/simulation';
import { uniqueName } from '../support/env';
import { createTopics, groupLag, testKafka, waitFor } from '../support/kafka';
import { dropSchemasAfterTest, testPool } from '../support/postgres';
import { writeConfig } from '../support/sink-process';
import { diffWarehouse, generateWorkload, produceWorkload } from '../support/workload';
import { LaneProgress } from './support/lane-progress';
import { RestartableApp } from './support/restartable-app';

const KILLS = Number(process.env.TABLELANE_CHAOS_KILLS ?? 20);
const SEED = Number(process.env.TABLELANE_CHAOS_SEED ?? Date.now() % 1_000_000);
const INGEST_PARTITIONS = 4;
const LANES = 4;
// Kills land every 2.5-7.5 s while changes keep arriving; a victim is back 0.3-3 s later.
const KILL_EVERY_MS = [2_500, 7_500] as const;
const RESTART_AFTER_MS = [300, 3_000] as const;
const CATCH_UP_AFTER_LAST_KILL_MS = 30_000;
const LONGEST_STALL_MS = 30_000;
// How much longer a late pipeline gets to settle before its final state is compared.
const SETTLE_MS = 120_000;

describe('chaos', () => {
  it(
    `loses, duplicates and corrupts nothing through ${KILLS} random SIGKILLs of sinks and routers, with default settings`,
    { timeout: KILLS * 6_000 + 240_000 },
    async () => {
      const random = prng(SEED);
      const between = ([low, high]: readonly [number, number]) => low + random() * (high - low);
      const kafka = testKafka();
      const pool = testPool();
      const base = uniqueName('chaos');
      const schema = uniqueName('chaos');
      const state = uniqueName('tl');
      const topics = { ingest: `${base}.ingest`, changes: `${base}.changes`, dlq: `${base}.dlq` };
      const groups = { router: `${base}.router`, sink: `${base}.sink` };
      dropSchemasAfterTest(schema, state);
      await createTopics(kafka, [
        { topic: topics.ingest, numPartitions: INGEST_PARTITIONS },
        { topic: topics.changes, numPartitions: LANES },
        { topic: topics.dlq, numPartitions: 1 },
        // Created here, not by the router, so the test deletes it with the others.
        { topic: `${topics.changes}.lanes`, numPartitions: 1 },
      ]);

      // Two append tables (a batch applied twice shows as duplicates) and three merge tables,
      // two of them versioned with deletes and out-of-order versions, spread over every lane.
      const workload = generateWorkload(schema, 8, 1_000, SEED);
      const pins: Record<string, number> = { sales: 0, clicks: 1, users: 2, orders: 3, audit: 0 };
      const tables = workload.tables.map((t) => {
        const name = (t as { name: string }).name;
        return { ...t, lane: pins[name.split('.')[1]!] };
      });
      // The project's defaults everywhere: only topics, group names and schemas are the test's.
      const configPath = writeConfig({ topics, warehouse: { stateSchema: state }, tables });
      const routers = [1, 2].map(
        (i) =>
          new RestartableApp(`router-${i}`, 'router', {
            TABLELANE_CONFIG: configPath,
            TABLELANE_ROUTER_GROUP: groups.router,
            TABLELANE_ROUTER_TRANSACTIONAL_ID: groups.router,
          }),
      );
      const sinks = [1, 2].map(
        (i) =>
          new RestartableApp(`sink-${i}`, 'sink', {
            TABLELANE_CONFIG: configPath,
            TABLELANE_SINK_GROUP: groups.sink,
          }),
      );
      const apps = [...routers, ...sinks];
      for (const app of apps) app.start();

      const admin = kafka.admin();
      await admin.connect();
      const progress = new LaneProgress(admin, [
        { label: 'ingest', groupId: groups.router, topic: topics.ingest },
        { label: 'lane', groupId: groups.sink, topic: topics.changes },
      ]);
      const report = () => {
        const logs = mkdtempSync(join(tmpdir(), 'tablelane-chaos-'));
        for (const app of apps) writeFileSync(join(logs, `${app.name}.log`), app.output());
        return [
          `seed ${SEED} (TABLELANE_CHAOS_SEED=${SEED} replays the kill schedule and the load)`,
          `every app's whole log: ${logs}`,
          progress.timeline(),
          ...apps.map((app) => `----- ${app.name}\n${app.output().slice(-4_000)}`),
        ].join('\n');
      };

      let verdict: object | undefined;
      try {
        await waitFor(
          'every app to join its group',
          async () =>
            sinks.every((s) => s.output().includes('joined the sink group')) &&
            routers.every((r) => r.output().includes('router partitions assigned')),
          60_000,
        );
        progress.start();

        // One round of changes per kill, so the load runs until the last kill. Each table goes to
        // the ingest partition of its name (no pins there), which keeps every producer's order
        // per table through the router, as the unversioned `users` table needs.
        const ingestTables = workload.tables.map((t) => ({ name: (t as { name: string }).name }));
        const produceRound = (round: number) =>
          produceWorkload(
            () => kafka.producer({ idempotent: true }),
            topics.ingest,
            INGEST_PARTITIONS,
            workload,
            ingestTables,
            round,
            KILLS,
          );
        const restarts: Promise<void>[] = [];
        for (let kill = 0; kill < KILLS; kill++) {
          const producing = produceRound(kill);
          await new Promise((r) => setTimeout(r, between(KILL_EVERY_MS)));
          // Every third kill hits a router; a victim already down is skipped for a live one.
          const kind = (kill % 3 === 2 ? routers : sinks).filter((a) => a.running);
          const candidates = kind.length > 0 ? kind : apps.filter((a) => a.running);
          const victim = candidates[Math.floor(random() * candidates.length)]!;
          victim.kill();
          const downFor = between(RESTART_AFTER_MS);
          progress.note(`kill #${kill + 1}: ${victim.name}, back in ${Math.round(downFor)} ms`);
          restarts.push(
            new Promise<void>((r) => setTimeout(r, downFor)).then(() => {
              victim.start();
              progress.note(`${victim.name} restarted`);
            }),
          );
          await producing;
        }
        const lastKillAt = Date.now();
        await Promise.all(restarts);
        progress.note('load and kills done');

        const lag = async () =>
          (await groupLag(admin, groups.router, topics.ingest)) +
          (await groupLag(admin, groups.sink, topics.changes));
        const caughtUp = (timeoutMs: number) =>
          waitFor('lag 0 on ingest and every lane', async () => (await lag()) === 0, timeoutMs, 500).then(
            () => true,
            () => false,
          );
        const inTime = await caughtUp(Math.max(0, lastKillAt + CATCH_UP_AFTER_LAST_KILL_MS - Date.now()));
        const catchUp = `${((Date.now() - lastKillAt) / 1000).toFixed(1)} s after the last kill`;
        progress.note(inTime ? `lag 0 ${catchUp}` : `lag still above 0 ${catchUp}`);
        // Late is a failure, but the final state is still judged, so a run reports every problem.
        const settled = inTime || (await caughtUp(SETTLE_MS));
        await progress.stop();

        const stall = progress.longestStall();
        const [dlq] = await admin.fetchTopicOffsets(topics.dlq);
        verdict = {
          longestStall:
            stall.ms <= LONGEST_STALL_MS
              ? 'at most 30 s'
              : `${stall.lane} ${stall.ms} ms behind without progress (until +${stall.atSecond}s)`,
          catchUp: inTime ? 'lag 0 within 30 s' : `lag above 0 ${catchUp}`,
          // Nothing is refused in this load: a dead letter is a lost change.
          deadLetters: Number(dlq!.high),
          differences: settled
            ? await diffWarehouse(pool, workload)
            : [`lag never reached 0, even ${SETTLE_MS / 1000} s later: the final state cannot be judged`],
        };
        console.info(
          `chaos seed ${SEED}, ${KILLS} kills: longest stall ${stall.ms} ms (${stall.lane || 'no lane'}), ` +
            `lag 0 ${inTime ? catchUp : 'late'}`,
        );
      } catch (error) {
        await progress.stop();
        throw new Error(`${(error as Error).message}\n${report()}`, { cause: error });
      } finally {
        await admin.disconnect();
      }
      const healthy = {
        longestStall: 'at most 30 s',
        catchUp: 'lag 0 within 30 s',
        deadLetters: 0,
        differences: [],
      };
      expect(verdict, isDeepStrictEqual(verdict, healthy) ? undefined : report()).toEqual(healthy);
    },
  );
});

import { describe, expect, it } from 'vitest';
import type { PoolClient } from 'pg';
import { parseConfig } from '@app/config';
import { waitFor } from '../support/kafka';
import { freePort } from '../support/ports';
import { sinkTestSetup } from '../support/sink-suite';
import { sinkStatus, startSink, writeConfig } from '../support/sink-process';
import { LaneWriter, runRecord } from './support/snapshot-lane';

describe('a refresh behind an analyst', () => {
  // A table lock is in pg_locks, so its holder is named; a row lock is not (PostgreSQL keeps it
  // in the row), so that holder shows as an episode of lock timeouts without a name.
  it.each([
    ['holds LOCK TABLE … IN SHARE MODE', (table: string) => `LOCK TABLE ${table} IN SHARE MODE`, true],
    [
      'updated a row the refresh deletes',
      (table: string) => `UPDATE ${table} SET val = 'analyst' WHERE id = 1`,
      false,
    ],
  ])(
    'waits in bounded steps while an open transaction %s, reports the episode (naming the holder of a table lock), and completes after it ends',
    async (_what, blocking, named) => {
      const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('snaplocks', 1);
      const tableConfig = {
        name: `${schema}.ledger`,
        columns: { id: 'bigint', val: 'text', ver: 'bigint' },
        primaryKey: ['id'],
        version: 'ver',
      };
      const config = parseConfig({ warehouse: { stateSchema: state }, tables: [tableConfig] });
      const contract = config.tables[0]!;
      const ledger = `"${schema}".ledger`;
      const port = await freePort();
      const sink = startSink(
        writeConfig({
          topics: { changes, dlq: `${changes}.dlq` },
          warehouse: { stateSchema: state, lockTimeoutMs: 300 },
          defaults: { flush: { maxAgeMs: 100 } },
          tables: [tableConfig],
        }),
        { TABLELANE_SINK_GROUP: group, PORT: String(port) },
      );
      const lane = await LaneWriter.open(kafka, config, contract, changes);
      // Keys 1..40 at version 1; the refresh keeps the even ones.
      await lane.changes(
        Array.from({ length: 40 }, (_, i) => ({
          table: contract.name,
          op: 'upsert',
          row: { id: i + 1, val: 'old', ver: 1 },
        })),
      );
      await caughtUp();
      const rows = Array.from({ length: 20 }, (_, i) => ({ id: 2 * (i + 1), val: 'refreshed', ver: 2 }));
      const run = lane.runId();
      await lane.begin(run, rows.length);
      await lane.rows(run, rows);
      await caughtUp();

      // The analyst's transaction stays open over the end's merge.
      const analyst: PoolClient = await pool.connect();
      const analystPid = (await analyst.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
        .pid;
      await analyst.query('BEGIN');
      await analyst.query(`${blocking(ledger)} /* analyst report */`);
      await lane.end(run, rows.length);
      const episodeOf = async () =>
        (await sinkStatus(port)).blocked.find((b) => b.table === contract.name) as
          (Awaited<ReturnType<typeof sinkStatus>>['blocked'][number] & { timeouts: number }) | undefined;
      await waitFor(
        'the sink to report the end blocked',
        async () => (await episodeOf()) !== undefined,
        15_000,
      );
      // Bounded waits, retried: several lock timeouts of 300 ms while the analyst holds on.
      await new Promise((r) => setTimeout(r, 2500));
      const episode = (await episodeOf())!;
      expect(episode.timeouts).toBeGreaterThanOrEqual(2);
      if (named)
        expect(episode.blockers.find((b) => b.pid === analystPid)?.query).toContain('analyst report');
      expect(sink.output()).toContain(`loader blocked on ${contract.name}`);
      // Nothing of the end is visible yet: the odd keys are still there, the run still open.
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${ledger}`)).rows[0].n).toBe(40);
      expect(await runRecord(pool, state, contract, run)).toMatchObject({ state: 'open' });
      // Other readers are not queued behind the waiting loader.
      const started = Date.now();
      await pool.query(`SELECT count(*) FROM ${ledger}`);
      expect(Date.now() - started).toBeLessThan(1000);

      await analyst.query('ROLLBACK');
      analyst.release();
      await caughtUp();
      expect((await pool.query(`SELECT id::int, val, ver::int FROM ${ledger} ORDER BY id`)).rows).toEqual(
        rows,
      );
      expect(await runRecord(pool, state, contract, run)).toMatchObject({
        state: 'done',
        rows_seen: rows.length,
      });
      expect(sink.output()).toContain(`loader unblocked on ${contract.name}`);
      expect((await sinkStatus(port)).blocked).toEqual([]);
    },
    60_000,
  );
});

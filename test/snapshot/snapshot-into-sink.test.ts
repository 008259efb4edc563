// The snapshot harness comes first: it loads the CLI pipeline, which installs the read_committed fix.
import { snapshotSuite, until } from './support/snapshot-harness';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { stateTableName } from '@app/warehouse';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool } from '../support/postgres';

/*
 * A full refresh of a table far larger than the sink's memory limit, end to end: the snapshot
 * job is killed half-way and resumed, the running sink loads the lane with bounded memory, and
 * the target ends with exactly the source's contents: rows the source no longer has are gone,
 * stale versions replaced, nothing duplicated.
 */

const ROWS = 100_000;
const SINK_MEMORY = 16 * 1024 * 1024;

/** The peak resident set of a running process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(hwm?.[1] ?? 0) / 1024;
}

describe('a snapshot larger than the sink’s memory, into a running sink', () => {
  it('killed and resumed, ends with the exact source contents in place, with bounded memory', async () => {
    const target = uniqueName('snapbig');
    dropSchemasAfterTest(target);
    const table = {
      name: `${target}.items`,
      columns: { id: 'bigint', payload: 'text', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    };
    const suite = await snapshotSuite('snap-big', table);
    const source = `"${suite.source.name}".items`;
    // About 100 MB of rows: six times the sink's buffer limit.
    await suite.source.pool.query(`
      CREATE TABLE ${source} (id bigint PRIMARY KEY, payload text NOT NULL, ver bigint NOT NULL);
      INSERT INTO ${source} SELECT i, repeat(md5(i::text), 31), 2 FROM generate_series(1, ${ROWS}) i;
      ANALYZE ${source};`);
    // The target holds what an earlier load left: stale versions, and rows the source dropped.
    const pool = testPool();
    await pool.query(`
      CREATE SCHEMA IF NOT EXISTS ${target};
      CREATE TABLE ${target}.items (id bigint NOT NULL, payload text, ver bigint, PRIMARY KEY (id));
      INSERT INTO ${target}.items SELECT i, 'stale', 1 FROM generate_series(1, ${ROWS}, 7) i;
      INSERT INTO ${target}.items SELECT i, 'gone', 1 FROM generate_series(${ROWS + 1}, ${ROWS + 500}) i;
      CREATE VIEW ${target}.heavy AS SELECT id FROM ${target}.items WHERE length(payload) > 100;`);
    const sinkConfig = suite.pipeline.writeConfig([table], { maxBufferedBytes: SINK_MEMORY });
    // A heap the table cannot fit in, as a deployment bounds it: finishing within it shows the
    // sink's memory does not grow with the refresh (its buffers pause the lane at the limit).
    const sink = suite.pipeline.startSink(sinkConfig, { NODE_OPTIONS: '--max-old-space-size=96' });
    let sinkPeak = 0;
    const sampler = setInterval(() => {
      try {
        sinkPeak = Math.max(sinkPeak, peakRssMiB(sink.child.pid!));
      } catch {
        // exited
      }
    }, 100);
    try {
      const args = suite.snapshotArgs('--chunk-rows', '2000', '--heartbeat-ms', '1000', '--json');
      const node = ['--max-old-space-size=64', '--max-semi-space-size=8'];
      const first = suite.spawn(args, node);
      await until(
        'a part of the snapshot to commit',
        async () => ((await suite.progress('uncommitted'))?.rows ?? 0) >= 30_000,
        60_000,
      );
      first.child.kill('SIGKILL');
      await first.exited;
      const second = suite.spawn([...args, '--wait'], node);
      expect(await second.exited, second.output()).toBe(0);
      const { run } = JSON.parse(second.stdout()) as { run: string };

      const contract = parseConfig({ tables: [table] }).tables[0]!;
      const runs = `"${suite.pipeline.stateSchema}"."${stateTableName(contract, 'snapshotRun')}"`;
      await until(
        'the sink to apply the refresh',
        async () =>
          (await pool.query(`SELECT state FROM ${runs} WHERE run = $1`, [run]).catch(() => ({ rows: [] })))
            .rows[0]?.state === 'done',
        120_000,
      );
      const digest = `SELECT count(*)::int AS n, md5(string_agg(id || ':' || payload || ':' || ver, ',' ORDER BY id)) AS d FROM `;
      const expected = (await suite.source.pool.query(`${digest}${source}`)).rows[0];
      const actual = (await pool.query(`${digest}${target}.items`)).rows[0];
      expect(actual).toEqual(expected);
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${target}.heavy`)).rows[0].n).toBe(ROWS);
      console.log(
        `snapshot of ${ROWS} rows (about 100 MB) into a sink with maxBufferedBytes ${SINK_MEMORY}: ` +
          `sink peak RSS ${sinkPeak.toFixed(0)} MiB; snapshot job ${first.peakRssMiB().toFixed(0)} MiB (killed), ` +
          `${second.peakRssMiB().toFixed(0)} MiB (resumed)`,
      );
      expect(sinkPeak).toBeGreaterThan(0);
      expect(sinkPeak).toBeLessThan(320);
    } finally {
      clearInterval(sampler);
    }
  }, 240_000);
});

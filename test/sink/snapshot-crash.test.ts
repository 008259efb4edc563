import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig, type SinkProcess } from '../support/sink-process';
import { LaneWriter, runRecord, seenKeys } from './support/snapshot-lane';

const CHUNKS = 12;
const CHUNK_ROWS = 40;

describe('a snapshot run through sink crashes', () => {
  it('is exact although the sink is SIGKILLed amid its chunks, between warehouse and Kafka commits, and inside the end merge', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('snapcrash', 1);
    const tableConfig = {
      name: `${schema}.orders`,
      columns: { id: 'bigint', val: 'text', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    };
    const config = parseConfig({ warehouse: { stateSchema: state }, tables: [tableConfig] });
    const contract = config.tables[0]!;
    const configPath = writeConfig({
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 100, maxRows: 30 } },
      tables: [tableConfig],
    });
    const start = (faults?: string) =>
      startSink(configPath, {
        TABLELANE_SINK_GROUP: group,
        TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
        ...(faults && { TABLELANE_FAULTS: faults }),
      });
    const kill = async (sink: SinkProcess) => {
      if (sink.child.exitCode === null && sink.child.signalCode === null) sink.child.kill('SIGKILL');
      await sink.exited;
    };
    const lane = await LaneWriter.open(kafka, config, contract, changes);
    const target = async () =>
      (await pool.query(`SELECT id::int, val, ver::int FROM "${schema}".orders ORDER BY id`)).rows;

    // Before the run: what the refresh must replace, and stale keys it must delete.
    let sink = start();
    await lane.changes(
      Array.from({ length: 60 }, (_, i) => ({
        table: contract.name,
        op: 'upsert',
        row: { id: i * 10, val: 'old', ver: 1 },
      })),
    );
    await caughtUp();
    await kill(sink);

    const rows = Array.from({ length: CHUNKS * CHUNK_ROWS }, (_, i) => ({
      id: i * 3,
      val: `snap ${i * 3}`,
      ver: 5,
    }));
    const run = lane.runId();
    const chunk = (n: number) => lane.rows(run, rows.slice(n * CHUNK_ROWS, (n + 1) * CHUNK_ROWS));

    // Sinks that kill themselves between warehouse and Kafka commits (30 % of commits): each restart
    // re-reads batches the warehouse has, which the checkpoint skips (counted once, marked once).
    // Chunk by chunk, each merged (or the sink dead) before the next, so every chunk meets it.
    await lane.begin(run, rows.length);
    const alive = (process: SinkProcess) =>
      process.child.exitCode === null && process.child.signalCode === null;
    const merged = async () => (await runRecord(pool, state, contract, run))?.rows_seen ?? 0;
    let killed = 0;
    let next = 0;
    for (let attempt = 0; attempt < 5 && next < 8; attempt++) {
      sink = start('after-commit=0.3');
      const current = sink;
      await waitFor(
        'the sink to join its group',
        async () => !alive(current) || current.output().includes('joined the sink group'),
        30_000,
      );
      while (next < 8 && alive(current)) {
        await chunk(next++);
        const expected = next * CHUNK_ROWS;
        await waitFor(
          'the chunk to merge, or the sink to die',
          async () => !alive(current) || (await merged()) >= expected,
          30_000,
        );
      }
      if (!alive(current)) killed++;
      await kill(current);
    }
    expect(killed).toBeGreaterThan(0);
    sink = start();
    while (next < CHUNKS) await chunk(next++);
    await caughtUp();
    // The run is durable, open, and counted exactly, whatever was replayed.
    expect(await runRecord(pool, state, contract, run)).toMatchObject({
      state: 'open',
      rows_seen: rows.length,
    });
    await kill(sink);

    // The end is on the lane, not merged yet: the next sink dies inside the end's merge
    // transaction (after its COPY, before its statements), and the one after applies it.
    await lane.end(run, rows.length);
    sink = start('after-copy=1');
    expect(await sink.exited).toBe(null);
    expect(sink.output()).toContain('fault point after-copy hit');
    expect(await runRecord(pool, state, contract, run)).toMatchObject({ state: 'open' });
    expect((await target()).length).toBeGreaterThan(rows.length);
    sink = start();
    await caughtUp();

    expect(await target()).toEqual(rows);
    expect(await runRecord(pool, state, contract, run)).toEqual({
      run,
      state: 'done',
      rows_seen: rows.length,
      rows_expected: rows.length,
      total: rows.length,
    });
    expect(await seenKeys(pool, state, contract)).toBe(0);
    expect(sink.output()).toContain(`snapshot run ${run} of ${contract.name} is open: following it`);
  }, 240_000);
});

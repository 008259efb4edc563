import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { PostgresDestination } from '@app/warehouse';
import { testConnection } from '../support/postgres';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';
import { LaneWriter, runRecord, seenKeys } from './support/snapshot-lane';

const range = (from: number, to: number, ver: number, val = (id: number) => `v${ver} ${id}`) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, val: val(from + i), ver }));

async function setup(prefix: string) {
  const suite = await sinkTestSetup(prefix, 1);
  const { kafka, pool, schema, state, changes, group } = suite;
  const tableConfig = {
    name: `${schema}.docs`,
    columns: { id: 'bigint', val: 'text', ver: 'bigint' },
    primaryKey: ['id'],
    version: 'ver',
  };
  const config = parseConfig({ warehouse: { stateSchema: state }, tables: [tableConfig] });
  const contract = config.tables[0]!;
  const bootstrap = new PostgresDestination({
    pool: testConnection(),
    stateSchema: state,
    createTables: true,
    lockTimeoutMs: 1000,
  });
  await bootstrap.prepareTable(contract);
  await bootstrap.close();
  const sink = startSink(
    writeConfig({
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 150, maxRows: 40 } },
      tables: [tableConfig],
    }),
    { TABLELANE_SINK_GROUP: group },
  );
  const lane = await LaneWriter.open(kafka, config, contract, changes);
  const target = async () =>
    (await pool.query(`SELECT id::int, val, ver::int FROM "${schema}".docs ORDER BY id`)).rows;
  return { ...suite, contract, sink, lane, target };
}

describe('snapshot runs that do not finish', () => {
  it('a cancel leaves the target as it is (rows merged stay, nothing deleted); a later full run refreshes it', async () => {
    const { pool, state, contract, sink, lane, target, caughtUp } = await setup('snapcancel');
    await lane.changes(range(1, 100, 10).map((row) => ({ table: contract.name, op: 'upsert', row })));
    await caughtUp();

    const cancelled = lane.runId();
    await lane.begin(cancelled);
    await lane.rows(cancelled, range(1, 30, 20));
    await lane.rows(cancelled, range(1000, 1009, 20));
    await lane.cancel(cancelled);
    await caughtUp();
    expect(await target()).toEqual([...range(1, 30, 20), ...range(31, 100, 10), ...range(1000, 1009, 20)]);
    expect(await runRecord(pool, state, contract, cancelled)).toMatchObject({
      state: 'cancelled',
      rows_seen: 40,
      rows_expected: null,
    });
    expect(await seenKeys(pool, state, contract)).toBe(0);

    // A later run is a full refresh again. A stray end of the cancelled run changes nothing.
    const full = lane.runId();
    await lane.end(cancelled, 40);
    await lane.snapshot(full, range(20, 60, 30), 15);
    await caughtUp();
    expect(await target()).toEqual(range(20, 60, 30));
    expect(await runRecord(pool, state, contract, full)).toMatchObject({ state: 'done', rows_seen: 41 });
    expect(await runRecord(pool, state, contract, cancelled)).toMatchObject({ state: 'cancelled' });

    // A begin while a run is open abandons it (as cancelled): only one run at a time.
    const abandoned = lane.runId();
    await lane.begin(abandoned);
    await lane.rows(abandoned, range(1, 5, 40));
    const next = lane.runId();
    await lane.snapshot(next, range(50, 70, 40), 10);
    await caughtUp();
    expect(await target()).toEqual(range(50, 70, 40));
    expect(await runRecord(pool, state, contract, abandoned)).toMatchObject({
      state: 'cancelled',
      rows_seen: 5,
    });
    expect(await runRecord(pool, state, contract, next)).toMatchObject({ state: 'done', rows_seen: 21 });
    expect(await seenKeys(pool, state, contract)).toBe(0);
    expect(sink.output()).toContain(`snapshot run ${cancelled} of ${contract.name} cancelled`);
    expect(sink.output()).toContain(`snapshot run ${abandoned} of ${contract.name} abandoned`);
    expect(sink.output()).toContain(`snapshot-end of snapshot run ${cancelled} of ${contract.name} ignored`);
  }, 120_000);

  it('a run whose rows the warehouse refused in part ends incomplete and deletes nothing', async () => {
    const { pool, schema, state, contract, sink, lane, target, caughtUp } = await setup('snapincomplete');
    await lane.changes(range(1, 50, 10).map((row) => ({ table: contract.name, op: 'upsert', row })));
    await caughtUp();
    // A rule the contract does not know: the warehouse refuses the row, the sink dead-letters it.
    await pool.query(`ALTER TABLE "${schema}".docs ADD CONSTRAINT no_poison CHECK (val <> 'poison')`);
    const run = lane.runId();
    const rows = range(1, 20, 20, (id) => (id === 7 ? 'poison' : `v20 ${id}`));
    await lane.snapshot(run, rows, 8);
    await caughtUp();
    // Key 7's row was in the source: deleting every key the run did not merge would delete it.
    expect(await target()).toEqual([
      ...range(1, 6, 20),
      { id: 7, val: 'v10 7', ver: 10 },
      ...range(8, 20, 20),
      ...range(21, 50, 10),
    ]);
    expect(await runRecord(pool, state, contract, run)).toMatchObject({
      state: 'incomplete',
      rows_seen: 19,
      rows_expected: 20,
    });
    expect(await seenKeys(pool, state, contract)).toBe(0);
    expect(sink.output()).toContain('sent to the dead-letter topic');
    expect(sink.output()).toContain(`snapshot run ${run} of ${contract.name} ended INCOMPLETE`);
  }, 120_000);
});

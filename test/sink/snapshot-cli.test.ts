// The snapshot harness comes first: it loads the CLI pipeline, which installs the read_committed fix.
import { snapshotSuite } from '../snapshot/support/snapshot-harness';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { stateTableName } from '@app/warehouse';
import { uniqueName } from '../support/env';
import { testKafka, waitFor } from '../support/kafka';
import { dropSchemasAfterTest, testPool } from '../support/postgres';
import { LaneWriter } from './support/snapshot-lane';

describe('tablelane snapshot into a running sink', () => {
  it('refreshes the target from the source in place, twice, the second after the source changed', async () => {
    const target = uniqueName('snapcli');
    dropSchemasAfterTest(target);
    const table = {
      name: `${target}.items`,
      columns: { id: 'bigint', name: 'text', qty: 'integer', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    };
    const suite = await snapshotSuite('snap-cli', table);
    const config = parseConfig({ tables: [table] });
    const runs = `"${suite.pipeline.stateSchema}"."${stateTableName(config.tables[0]!, 'snapshotRun')}"`;
    const source = `"${suite.source.name}".items`;
    await suite.source.pool.query(`
      CREATE TABLE ${source} (id bigint PRIMARY KEY, name text, qty integer, ver bigint NOT NULL);
      INSERT INTO ${source} SELECT i, 'item ' || i, i % 7, 1 FROM generate_series(1, 5000) i;`);
    const pool = testPool();
    const sink = suite.pipeline.startSink(suite.config);
    const targetRows = async () =>
      (
        await pool
          .query(`SELECT id::int, name, qty, ver::int FROM "${target}".items ORDER BY id`)
          .catch(() => ({ rows: [] }))
      ).rows;
    const sourceRows = async () =>
      (await suite.source.pool.query(`SELECT id::int, name, qty, ver::int FROM ${source} ORDER BY id`)).rows;
    const runState = async (run: string) =>
      (await pool.query(`SELECT state FROM ${runs} WHERE run = $1`, [run]).catch(() => ({ rows: [] })))
        .rows[0]?.state as string | undefined;
    const snapshot = async () => {
      const result = await suite.cli(suite.snapshotArgs('--chunk-rows', '700', '--json'));
      expect(result.code, result.stderr).toBe(0);
      const { run } = JSON.parse(result.stdout) as { run: string };
      await waitFor('the sink to apply the run', async () => (await runState(run)) === 'done', 60_000);
      return run;
    };

    await snapshot();
    expect(await targetRows()).toEqual(await sourceRows());
    const oid = (await pool.query(`SELECT '"${target}".items'::regclass::oid::int AS oid`)).rows[0].oid;
    await pool.query(`CREATE VIEW "${target}".stocked AS SELECT id FROM "${target}".items WHERE qty > 0`);

    await suite.source.pool.query(`
      DELETE FROM ${source} WHERE id % 10 = 0;
      UPDATE ${source} SET name = name || ' v2', qty = qty + 1, ver = 2 WHERE id % 3 = 0;
      INSERT INTO ${source} SELECT i, 'new ' || i, 1, 2 FROM generate_series(6001, 6300) i;`);
    await snapshot();
    const rows = await sourceRows();
    expect(await targetRows()).toEqual(rows);
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${target}".stocked`)).rows[0].n).toBe(
      rows.filter((r) => r.qty > 0).length,
    );
    expect((await pool.query(`SELECT '"${target}".items'::regclass::oid::int AS oid`)).rows[0].oid).toBe(oid);

    // `tablelane lag` shows a run while it is open, as the warehouse records it.
    const lane = await LaneWriter.open(
      testKafka(),
      config,
      config.tables[0]!,
      suite.pipeline.topics.changes,
      suite.lane,
    );
    const open = lane.runId();
    await lane.begin(open);
    await lane.rows(open, rows.slice(0, 3));
    await waitFor('the run to be open', async () => (await runState(open)) === 'open', 30_000);
    await waitFor(
      'the sink to merge its rows',
      async () => {
        const lag = await suite.pipeline.cliJson<{ table: string; snapshot: string | null }[]>(suite.config, [
          'lag',
        ]);
        return (
          lag.find((r) => r.table === table.name)?.snapshot?.startsWith(`${open}: 3 rows merged since `) ??
          false
        );
      },
      30_000,
    );
    await lane.cancel(open);
    await waitFor('the run to be cancelled', async () => (await runState(open)) === 'cancelled', 30_000);
    expect(await targetRows()).toEqual(rows);
    expect(sink.output()).not.toContain('dead-letter topic');
  }, 180_000);
});

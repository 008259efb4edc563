// The snapshot harness comes first: it loads the CLI pipeline, which installs the read_committed fix.
import { snapshotSuite, until } from './support/snapshot-harness';
import { parseConfig } from '@app/config';
import { stateTableName } from '@app/warehouse';
import { Client } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testConnection, testPool } from '../support/postgres';

/*
 * The daily Redshift → Aurora lift of the problem reports, with a PostgreSQL source: the real
 * `tablelane snapshot` refreshes a target that users built on (two views, one on the other,
 * grants to two roles, a comment) ten times while the source changes between runs. After each
 * run the target equals the source row for row, the views answer from the new rows, the grants,
 * comment and the table itself (its oid) survive, and a reader polling all along never saw the
 * table empty or half-loaded.
 */

const RUNS = 10;

async function rolesForTest(count: number): Promise<string[]> {
  const pool = testPool();
  const roles = Array.from({ length: count }, () => uniqueName('tl_refresh_reader'));
  for (const role of roles) await pool.query(`CREATE ROLE "${role}"`);
  onTestFinished(async () => {
    const client = new Client(testConnection());
    await client.connect();
    for (const role of roles) {
      await client.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
      await client.query(`DROP ROLE IF EXISTS "${role}"`);
    }
    await client.end();
  });
  return roles;
}

describe('tablelane snapshot as a daily full refresh', () => {
  it('refreshes in place 10 times from a changing PostgreSQL source; views, grants, comment survive; readers never see it empty', async () => {
    const target = uniqueName('refresh');
    dropSchemasAfterTest(target);
    const table = {
      name: `${target}.items`,
      columns: { id: 'bigint', name: 'text', qty: 'integer', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    };
    const suite = await snapshotSuite('snap-daily', table);
    const contract = parseConfig({ tables: [table] }).tables[0]!;
    const runs = `"${suite.pipeline.stateSchema}"."${stateTableName(contract, 'snapshotRun')}"`;
    const source = `"${suite.source.name}".items`;
    const items = `"${target}".items`;
    await suite.source.pool.query(`
      CREATE TABLE ${source} (id bigint PRIMARY KEY, name text NOT NULL, qty integer NOT NULL, ver bigint NOT NULL);
      INSERT INTO ${source} SELECT i, 'item ' || i, i % 5, 1 FROM generate_series(1, 2000) i;`);

    // The target as users left it after an earlier load: views, grants, a comment.
    const pool = testPool();
    await pool.query(`
      CREATE SCHEMA ${target};
      CREATE TABLE ${items} (id bigint NOT NULL, name text, qty integer, ver bigint, PRIMARY KEY (id));
      INSERT INTO ${items} SELECT i, 'old ' || i, 1, 0 FROM generate_series(1, 1500) i;
      CREATE VIEW "${target}".in_stock AS SELECT id, name, qty FROM ${items} WHERE qty > 0;
      CREATE VIEW "${target}".stock_summary AS SELECT count(*)::int AS n, coalesce(sum(qty), 0)::int AS qty FROM "${target}".in_stock;
      COMMENT ON TABLE ${items} IS 'loaded daily by tablelane';`);
    const roles = await rolesForTest(2);
    await pool.query(`GRANT SELECT ON ${items} TO "${roles[0]}"`);
    await pool.query(`GRANT SELECT, INSERT ON ${items} TO "${roles[1]}"`);
    await pool.query(`GRANT USAGE ON SCHEMA "${target}" TO "${roles[0]}", "${roles[1]}"`);
    const oid = async () =>
      (await pool.query(`SELECT '${items}'::regclass::oid::int AS oid`)).rows[0].oid as number;
    const grants = async () =>
      (
        await pool.query(
          `SELECT grantee, privilege_type FROM information_schema.role_table_grants
           WHERE table_schema = $1 AND table_name = 'items' AND grantee = ANY ($2) ORDER BY 1, 2`,
          [target, roles],
        )
      ).rows;
    const before = { oid: await oid(), grants: await grants() };
    expect(before.grants).toHaveLength(3);

    // A reader in its own session, all along: never an empty table.
    const reader = new Client(testConnection());
    await reader.connect();
    let polling = true;
    let polls = 0;
    let emptySeen = 0;
    const poll = (async () => {
      while (polling) {
        const { rows } = await reader.query(`SELECT count(*)::int AS n FROM ${items}`);
        polls++;
        if (rows[0].n === 0) emptySeen++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const sink = suite.pipeline.startSink(suite.config);
    try {
      for (let run = 1; run <= RUNS; run++) {
        if (run > 1) {
          // The source changes during the day: inserts, updates, deletes.
          await suite.source.pool.query(`
            DELETE FROM ${source} WHERE id % ${run + 3} = 0;
            UPDATE ${source} SET name = name || ' r${run}', qty = (qty + ${run}) % 6, ver = ${run} WHERE id % ${run + 1} = 1;
            INSERT INTO ${source} SELECT i, 'new ' || i, ${run} % 4, ${run} FROM generate_series(${run * 1000 + 1}, ${run * 1000 + 150}) i ON CONFLICT DO NOTHING;`);
        }
        const result = await suite.cli(suite.snapshotArgs('--chunk-rows', '400', '--json'));
        expect(result.code, result.stderr).toBe(0);
        const { run: id } = JSON.parse(result.stdout) as { run: string };
        await until(
          `refresh ${run} to be applied`,
          async () =>
            (await pool.query(`SELECT state FROM ${runs} WHERE run = $1`, [id]).catch(() => ({ rows: [] })))
              .rows[0]?.state === 'done',
          60_000,
        );
        const expected = (
          await suite.source.pool.query(`SELECT id::int, name, qty, ver::int FROM ${source} ORDER BY id`)
        ).rows;
        expect(
          (await pool.query(`SELECT id::int, name, qty, ver::int FROM ${items} ORDER BY id`)).rows,
        ).toEqual(expected);
        const inStock = expected.filter((r) => r.qty > 0);
        expect((await pool.query(`SELECT count(*)::int AS n FROM "${target}".in_stock`)).rows[0].n).toBe(
          inStock.length,
        );
        expect((await pool.query(`SELECT * FROM "${target}".stock_summary`)).rows[0]).toEqual({
          n: inStock.length,
          qty: inStock.reduce((sum, r) => sum + r.qty, 0),
        });
        expect(await oid()).toBe(before.oid);
        expect(await grants()).toEqual(before.grants);
        expect((await pool.query(`SELECT obj_description('${items}'::regclass) AS c`)).rows[0].c).toBe(
          'loaded daily by tablelane',
        );
      }
    } finally {
      polling = false;
      await poll;
      await reader.end();
    }
    expect(polls).toBeGreaterThan(50);
    expect(emptySeen).toBe(0);
    expect(sink.output()).not.toContain('dead-letter topic');
  }, 240_000);
});

import { Client } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseConfig } from '@app/config';
import { PostgresDestination } from '@app/warehouse';
import { uniqueName } from '../support/env';
import { testConnection } from '../support/postgres';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';
import { LaneWriter, runRecord, seeded, seenKeys } from './support/snapshot-lane';

const RUNS = 10;

interface Item {
  id: number;
  name: string;
  qty: number;
  ver: number;
}

/** Two roles that are dropped, with their grants, when the test finishes (roles outlive schemas). */
async function rolesForTest(
  pool: { query(text: string): Promise<unknown> },
  count: number,
): Promise<string[]> {
  const roles = Array.from({ length: count }, () => uniqueName('tl_snap_reader'));
  for (const role of roles) await pool.query(`CREATE ROLE "${role}"`);
  onTestFinished(async () => {
    const client = new Client(testConnection());
    await client.connect();
    for (const role of roles) {
      await client.query(`DROP OWNED BY "${role}"`);
      await client.query(`DROP ROLE IF EXISTS "${role}"`);
    }
    await client.end();
  });
  return roles;
}

describe('full refreshes through the sink', () => {
  it('applies 10 refreshes in place: the target equals the source after each, views, grants, comment and oid survive, readers never see it empty', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('snaprefresh', 1);
    const tableConfig = {
      name: `${schema}.items`,
      columns: { id: 'bigint', name: 'text', qty: 'integer', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    };
    const config = parseConfig({ warehouse: { stateSchema: state }, tables: [tableConfig] });
    const contract = config.tables[0]!;
    const items = `"${schema}".items`;

    // The target as users found it: created, with views (one on the other), grants and a comment.
    const bootstrap = new PostgresDestination({
      pool: testConnection(),
      stateSchema: state,
      createTables: true,
      lockTimeoutMs: 1000,
    });
    await bootstrap.prepareTable(contract);
    await bootstrap.close();
    const random = seeded(16);
    const source = new Map<number, Item>();
    let nextId = 1;
    let version = 1;
    const insert = () => {
      const id = nextId++;
      source.set(id, { id, name: `item ${id}`, qty: Math.floor(random() * 10), ver: version });
    };
    for (let i = 0; i < 300; i++) insert();
    // The first load, before any refresh: rows the first refresh will find in place.
    await pool.query(
      `INSERT INTO ${items} (id, name, qty, ver) SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id bigint, name text, qty integer, ver bigint)`,
      [JSON.stringify([...source.values()])],
    );
    await pool.query(`CREATE VIEW "${schema}".in_stock AS SELECT id, name, qty FROM ${items} WHERE qty > 0`);
    await pool.query(
      `CREATE VIEW "${schema}".stock_summary AS SELECT count(*)::int AS n, coalesce(sum(qty), 0)::int AS qty FROM "${schema}".in_stock`,
    );
    const roles = await rolesForTest(pool, 2);
    await pool.query(`GRANT SELECT ON ${items} TO "${roles[0]}"`);
    await pool.query(`GRANT SELECT, INSERT ON ${items} TO "${roles[1]}"`);
    await pool.query(`GRANT SELECT ON "${schema}".stock_summary TO "${roles[0]}"`);
    await pool.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${roles[0]}"`);
    await pool.query(`COMMENT ON TABLE ${items} IS 'items, refreshed by tablelane'`);
    const oidOf = async () => (await pool.query(`SELECT '${items}'::regclass::oid::int AS oid`)).rows[0].oid;
    const oid = await oidOf();
    const grants = async () =>
      (
        await pool.query(
          `SELECT grantee, privilege_type FROM information_schema.role_table_grants
           WHERE table_schema = $1 AND table_name IN ('items', 'stock_summary') AND grantee = ANY ($2)
           ORDER BY grantee, table_name, privilege_type`,
          [schema, roles],
        )
      ).rows;
    const grantsBefore = await grants();
    expect(grantsBefore).toHaveLength(4);

    const sink = startSink(
      writeConfig({
        topics: { changes, dlq: `${changes}.dlq` },
        warehouse: { stateSchema: state },
        defaults: { flush: { maxAgeMs: 200, maxRows: 150 } },
        tables: [tableConfig],
      }),
      { TABLELANE_SINK_GROUP: group },
    );
    const lane = await LaneWriter.open(kafka, config, contract, changes);

    // A reader in a session of its own counts the rows every ~20 ms during every load.
    const reader = new Client(testConnection());
    await reader.connect();
    onTestFinished(() => reader.end());
    const counts: number[] = [];
    let reading = true;
    const polling = (async () => {
      while (reading) {
        counts.push((await reader.query(`SELECT count(*)::int AS n FROM ${items}`)).rows[0].n);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    for (let refresh = 0; refresh < RUNS; refresh++) {
      // The source changes between refreshes, and none of it reaches the lane live: only the
      // refresh tells the target, deletes included.
      version++;
      const ids = [...source.keys()];
      for (const id of ids) {
        const roll = random();
        if (roll < 0.08 && source.size > 50) source.delete(id);
        else if (roll < 0.2)
          source.set(id, {
            ...source.get(id)!,
            name: `item ${id} v${version}`,
            qty: Math.floor(random() * 10),
            ver: version,
          });
      }
      const inserts = Math.floor(random() * 40);
      for (let i = 0; i < inserts; i++) insert();
      const run = lane.runId();
      // The source is read in key order, as the CLI does.
      const rows = [...source.values()].sort((a, b) => a.id - b.id);
      await lane.snapshot(run, rows, 40 + Math.floor(random() * 80), rows.length);
      await caughtUp();

      const target = (await pool.query(`SELECT id::int, name, qty, ver::int FROM ${items} ORDER BY id`)).rows;
      expect(target, `refresh ${refresh}`).toEqual(rows);
      const stocked = rows.filter((r) => r.qty > 0);
      expect((await pool.query(`SELECT id::int FROM "${schema}".in_stock ORDER BY id`)).rows).toEqual(
        stocked.map((r) => ({ id: r.id })),
      );
      expect((await pool.query(`SELECT n, qty FROM "${schema}".stock_summary`)).rows).toEqual([
        { n: stocked.length, qty: stocked.reduce((sum, r) => sum + r.qty, 0) },
      ]);
      expect(await grants()).toEqual(grantsBefore);
      expect(
        (await pool.query(`SELECT obj_description('${items}'::regclass, 'pg_class') AS c`)).rows[0].c,
      ).toBe('items, refreshed by tablelane');
      expect(await oidOf()).toBe(oid);
      expect(await runRecord(pool, state, contract, run)).toEqual({
        run,
        state: 'done',
        rows_seen: rows.length,
        rows_expected: rows.length,
        total: rows.length,
      });
      expect(await seenKeys(pool, state, contract)).toBe(0);
    }
    reading = false;
    await polling;
    expect(counts.length).toBeGreaterThan(50);
    expect(Math.min(...counts)).toBeGreaterThan(0);
    // The role may read the table and the views on it as before: the grants are the same grants.
    const asRole = await pool.connect();
    try {
      await asRole.query(`SET ROLE "${roles[0]}"`);
      expect((await asRole.query(`SELECT n FROM "${schema}".stock_summary`)).rows).toHaveLength(1);
    } finally {
      await asRole.query('RESET ROLE');
      asRole.release();
    }
    expect(sink.output()).toContain('done: the table was refreshed in place');
    expect(sink.output()).not.toContain('dead-letter topic');
  }, 240_000);
});

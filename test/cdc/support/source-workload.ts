import type { Client } from 'pg';
import { expect } from 'vitest';
import type { CliPipeline } from '../../cli/support/pipeline';
import { testPool } from '../../support/postgres';

/*
 * The CDC suites' source table and seeded workload: every kind of change Debezium emits for
 * PostgreSQL, and how source and target rows are compared.
 */

export const COLUMNS = {
  id: 'integer',
  name: 'text',
  qty: 'integer',
  price: 'numeric(10,2)',
  big: 'text',
  updated_at: 'timestamptz',
  seen_at: 'timestamp',
  day: 'date',
  attrs: 'json',
  flag: 'boolean',
  uid: 'text',
  total: 'bigint',
};
export const SOURCE_DDL = (table: string) =>
  `CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, qty integer, price numeric(10,2), ` +
  'big text, updated_at timestamptz, seen_at timestamp, day date, attrs jsonb, flag boolean, uid uuid, ' +
  // Not in the contract: ignored by the feed (undeclaredColumns: ignore).
  'total bigint, internal_note text)';
/** Each column as comparable text, the same on source and target. */
export const COMPARED =
  'id, name, qty, price::text AS price, md5(big) AS big, ' +
  "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at, seen_at::text AS seen_at, " +
  'day::text AS day, attrs::jsonb::text AS attrs, flag, uid::text AS uid, total::text AS total';

/** A small seeded generator, so a failing run can be repeated. */
export function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A text that PostgreSQL stores out of line (TOAST): 12 KB that compress poorly. */
export const bigText = (random: () => number) =>
  Array.from({ length: 1500 }, () =>
    Math.floor(random() * 2 ** 32)
      .toString(36)
      .padStart(7, '0'),
  ).join('-');

export function rowValues(id: number, random: () => number): unknown[] {
  const pick = <T>(values: T[]) => values[Math.floor(random() * values.length)]!;
  return [
    id,
    `item ${id} ${Math.floor(random() * 1000)}`,
    pick([null, 0, Math.floor(random() * 10_000)]),
    pick([null, '0.00', (random() * 100_000).toFixed(2), '-12.5']),
    bigText(random),
    pick([null, new Date(1_700_000_000_000 + Math.floor(random() * 1e10)).toISOString()]),
    pick([null, '2026-03-04 05:06:07.123456', '1999-12-31 23:59:59']),
    pick([null, '2026-12-01', '1970-01-01']),
    pick([null, JSON.stringify({ n: Math.floor(random() * 100), tags: ['a', 'b'] })]),
    pick([null, true, false]),
    pick([null, '3b241101-e2bb-4255-8caf-4136c566a962']),
    pick([null, String(2 ** 53 + Math.floor(random() * 1000)), '-7']),
  ];
}
export const INSERT = (table: string) =>
  `INSERT INTO ${table} (id, name, qty, price, big, updated_at, seen_at, day, attrs, flag, uid, total, internal_note) ` +
  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'not loaded')";

/** The seeded workload: every kind of change Debezium emits for PostgreSQL, on a few dozen keys. */
export async function runWorkload(
  source: Client,
  table: string,
  seed: number,
  truncateAt: number,
  /** A pause before each step, so a suite can kill processes while the workload still runs. */
  pauseMs = 0,
): Promise<void> {
  const random = prng(seed);
  const live = new Set<number>();
  const { rows } = await source.query<{ id: number }>(`SELECT id FROM ${table}`);
  for (const row of rows) live.add(row.id);
  let nextId = 1000;
  const anyLive = () => [...live][Math.floor(random() * live.size)];
  for (let step = 0; step < 240; step++) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    if (step === truncateAt) {
      await source.query(`TRUNCATE ${table}`);
      live.clear();
      continue;
    }
    const roll = random();
    const id = anyLive();
    if (roll < 0.25 || id === undefined) {
      const fresh = nextId++;
      await source.query(INSERT(table), rowValues(fresh, random));
      live.add(fresh);
    } else if (roll < 0.55) {
      // `big` stays as it is: the stream carries the TOAST placeholder for it.
      await source.query(`UPDATE ${table} SET qty = $2, name = $3, updated_at = now() WHERE id = $1`, [
        id,
        Math.floor(random() * 1000),
        `renamed ${step}`,
      ]);
    } else if (roll < 0.62) {
      await source.query(`UPDATE ${table} SET big = $2 WHERE id = $1`, [id, bigText(random)]);
    } else if (roll < 0.72) {
      // A primary-key update, leaving `big` unchanged: the new key's row takes the old one's value.
      const moved = nextId++;
      await source.query(`UPDATE ${table} SET id = $2, price = $3 WHERE id = $1`, [id, moved, '1.25']);
      live.delete(id);
      live.add(moved);
    } else if (roll < 0.82) {
      await source.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      live.delete(id);
    } else if (roll < 0.9) {
      // Delete then re-insert of one key, in one transaction.
      await source.query('BEGIN');
      await source.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
      await source.query(INSERT(table), rowValues(id, random));
      await source.query('COMMIT');
    } else {
      // Several keys in one transaction.
      await source.query('BEGIN');
      for (let i = 0; i < 3; i++) {
        const fresh = nextId++;
        await source.query(INSERT(table), rowValues(fresh, random));
        live.add(fresh);
      }
      await source.query(`UPDATE ${table} SET flag = NOT coalesce(flag, false) WHERE id = $1`, [id]);
      await source.query('COMMIT');
    }
  }
}

export async function readRows(client: Client | ReturnType<typeof testPool>, table: string) {
  const { rows } = await client.query(`SELECT ${COMPARED} FROM ${table} ORDER BY id`);
  return rows;
}

/** The contract of the source table `items` in the pipeline's schema, and a feed that binds it. */
export function writeCdcConfig(pipeline: CliPipeline, sourceSchema: string, topic: string): string {
  const contract = {
    name: `${pipeline.schema}.items`,
    columns: { ...COLUMNS, source_lsn: 'bigint' },
    primaryKey: ['id'],
    version: 'source_lsn',
  };
  return pipeline.writeConfig([contract], {
    cdc: [
      { name: 'shop', topics: [topic], tables: [{ source: `${sourceSchema}.items`, table: contract.name }] },
    ],
  });
}

/**
 * Waits (up to 90 s) until the target `items` equals the source row for row, then asserts it and
 * that no key is there twice; prints the apps' output tails when it does not converge.
 */
export async function expectTargetEqualsSource(
  source: Client,
  sourceTable: string,
  pipeline: CliPipeline,
  apps: { output(): string }[],
): Promise<unknown[]> {
  const target = testPool();
  await target.query("SET TIME ZONE 'UTC'");
  const targetTable = `${pipeline.schema}.items`;
  const expected = await readRows(source, sourceTable);
  let actual: unknown[] = [];
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    actual = await readRows(target, targetTable).catch(() => []);
    if (JSON.stringify(actual) === JSON.stringify(expected)) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    console.error(
      apps.map((app) => `output (tail):\n${app.output().split('\n').slice(-30).join('\n')}`).join('\n'),
    );
  expect(actual).toEqual(expected);
  const { rows } = await target.query(
    `SELECT count(*)::int AS n, count(DISTINCT id)::int AS keys FROM ${targetTable}`,
  );
  expect(rows[0].n).toBe(rows[0].keys);
  return expected;
}

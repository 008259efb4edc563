import { prng } from '@app/simulation';
import { Client, type ClientConfig, type Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { summarize, type LatencySummary } from './stats';

export type Isolation = 'read committed' | 'serializable';

export interface NaiveOptions {
  schema: string;
  writers: number;
  isolation: Isolation;
  durationMs: number;
  /** Rows each transaction stages and merges (one Lambda invocation's batch). */
  rowsPerTransaction: number;
  /** Distinct keys all writers draw from: they upsert the same key set. */
  keys: number;
  seed: number;
}

export interface NaiveResult {
  writers: number;
  isolation: Isolation;
  seconds: number;
  transactions: number;
  /** Rows of committed transactions. */
  rows: number;
  rowsPerSecond: number;
  /** Transactions rolled back by a serialization failure (40001), each retried. */
  serializationFailures: number;
  /** Transactions rolled back as deadlock victims (40P01), each retried. */
  deadlocks: number;
  /** Rows in the table beyond one per key at the end: what the pattern was meant to prevent. */
  duplicateRows: number;
  /** Keys present more than once at the end. */
  duplicatedKeys: number;
  /** From a batch's first attempt to its commit, retries included. */
  latency: LatencySummary;
}

const COLUMNS =
  'salesid bigint, listid integer, sellerid integer, buyerid integer, qtysold integer, ' +
  'pricepaid numeric(8,2), commission numeric(8,2), saletime timestamptz, note text';

/**
 * Seed 000's pattern: every writer (a Lambda invocation) stages its batch in a temp table and
 * runs its own `DELETE ... USING` + `INSERT ... SELECT` transaction on one shared table that,
 * as in Redshift, has no enforced key and no index. Writers upsert keys from one shared set.
 * An aborted transaction (serialization failure, deadlock) is retried, as Lambda retries a
 * failed batch; the run lasts a fixed time and counts what committed.
 */
export async function runNaive(pool: Pool, connection: ClientConfig, o: NaiveOptions): Promise<NaiveResult> {
  const table = `"${o.schema}"."sales_${o.isolation === 'serializable' ? 'ser' : 'rc'}_${o.writers}"`;
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${o.schema}"`);
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`CREATE TABLE ${table} (${COLUMNS})`);
  // The table holds every key once before the run: each batch updates existing rows, as in the seed.
  await pool.query(
    `INSERT INTO ${table} SELECT g, g % 3 + 1, 0, 0, 1, 0, 0, now(), 'seed' FROM generate_series(1, $1) g`,
    [o.keys],
  );

  const clients = await Promise.all(
    Array.from({ length: o.writers }, async () => {
      const client = new Client({ ...connection, application_name: 'tablelane-bench-naive' });
      await client.connect();
      return client;
    }),
  );
  const totals = { transactions: 0, rows: 0, serializationFailures: 0, deadlocks: 0 };
  const latencies: number[] = [];
  const begin = o.isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN';
  const started = Date.now();
  const deadline = started + o.durationMs;
  try {
    await Promise.all(
      clients.map(async (client, writer) => {
        const random = prng(o.seed * 1000 + writer);
        while (Date.now() < deadline) {
          const body = batch(random, o.rowsPerTransaction, o.keys);
          const first = Date.now();
          for (;;) {
            try {
              await client.query(begin);
              await client.query(`CREATE TEMP TABLE stagesales (${COLUMNS}) ON COMMIT DROP`);
              const copy = client.query(copyFrom(`COPY stagesales FROM STDIN WITH (FORMAT csv, NULL '\\N')`));
              await pipeline(Readable.from([body]), copy);
              await client.query(
                `DELETE FROM ${table} USING stagesales WHERE ${table}.salesid = stagesales.salesid AND ${table}.listid = stagesales.listid`,
              );
              await client.query(`INSERT INTO ${table} SELECT * FROM stagesales`);
              await client.query('COMMIT');
              totals.transactions++;
              totals.rows += o.rowsPerTransaction;
              latencies.push((Date.now() - first) / 1000);
              break;
            } catch (error) {
              await client.query('ROLLBACK').catch(() => undefined);
              const code = (error as { code?: string }).code;
              if (code === '40001') totals.serializationFailures++;
              else if (code === '40P01') totals.deadlocks++;
              else throw error;
              if (Date.now() >= deadline) break;
              // A short random pause before the retry, so the same writers do not collide again at once.
              await new Promise((r) => setTimeout(r, random() * 20));
            }
          }
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
  const seconds = (Date.now() - started) / 1000;
  const { rows } = await pool.query<{ extra: string; keys: string }>(
    `SELECT (SELECT count(*) - count(DISTINCT (salesid, listid)) FROM ${table}) AS extra, ` +
      `(SELECT count(*) FROM (SELECT 1 FROM ${table} GROUP BY salesid, listid HAVING count(*) > 1) d) AS keys`,
  );
  return {
    writers: o.writers,
    isolation: o.isolation,
    seconds,
    ...totals,
    rowsPerSecond: totals.rows / seconds,
    duplicateRows: Number(rows[0]!.extra),
    duplicatedKeys: Number(rows[0]!.keys),
    latency: summarize(latencies),
  };
}

/** One batch of distinct keys from the shared key set, as CSV in the table's column order. */
function batch(random: () => number, size: number, keys: number): Buffer {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(size, keys)) chosen.add(1 + Math.floor(random() * keys));
  const lines = [...chosen].map((salesid) => {
    const cents = Math.floor(random() * 999_999);
    const values = [
      String(salesid),
      String((salesid % 3) + 1),
      String(Math.floor(random() * 5000)),
      String(Math.floor(random() * 50_000)),
      String(1 + Math.floor(random() * 8)),
      (cents / 100).toFixed(2),
      (Math.floor(cents * 0.15) / 100).toFixed(2),
      new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3e10)).toISOString(),
      'naive',
    ];
    // No value here holds a quote, comma or newline, so quoting each one is all CSV needs.
    return `${values.map((v) => `"${v}"`).join(',')}\n`;
  });
  return Buffer.from(lines.join(''), 'utf8');
}

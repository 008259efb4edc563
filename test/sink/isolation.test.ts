import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { parseConfig } from '@app/config';
import { encodeCsv, PostgresDestination, type StagedRow } from '@app/warehouse';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool, testConnection } from '../support/postgres';

const LANES = 8;
const BATCHES = 15;
const staged = (rows: StagedRow[]) => ({
  rowCount: rows.length,
  openStagedData: async () => Readable.from([encodeCsv(rows)]),
});
const isSerializationFailure = (error: unknown) => (error as { code?: string }).code === '40001';

/**
 * Redshift detects write conflicts per table, not per row. PostgreSQL's SERIALIZABLE does the
 * same when every transaction first reads each table it touches in full (relation-level
 * predicate locks), so this suite reproduces the seeds' error 1023 without Redshift.
 */
describe('Redshift-like isolation (SERIALIZABLE, table-level conflicts)', () => {
  it('loads 8 lanes at once without a single serialization failure', async () => {
    const pool = testPool();
    const schema = uniqueName('iso');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const { tables } = parseConfig({
      tables: Array.from({ length: LANES }, (_, i) => ({
        name: `${schema}.t${i}`,
        columns: { id: 'bigint', val: 'text', ver: 'bigint' },
        primaryKey: ['id'],
        version: 'ver',
      })),
    });
    const destination = new PostgresDestination({
      pool: { ...testConnection(), max: LANES + 2 },
      stateSchema: state,
      createTables: true,
      lockTimeoutMs: 5000,
      isolation: 'serializable',
      emulateTableLevelConflicts: true,
    });
    for (const contract of tables) await destination.prepareTable(contract);

    let failures = 0;
    await Promise.all(
      tables.map(async (contract, lane) => {
        let claim = await destination.claimLane(contract, 'changes', lane, 'iso');
        for (let batch = 0; batch < BATCHES; batch++) {
          const rows: StagedRow[] = Array.from({ length: 50 }, (_, i) => ({
            op: i % 7 === 0 ? 'd' : 'u',
            values: [String(i), `b${batch}`, String(batch + 1)],
          }));
          const nextOffset = claim.lastOffset + 50;
          try {
            await destination.applyBatch({
              contract,
              topic: 'changes',
              partition: lane,
              claim,
              nextOffset,
              ...staged(rows),
            });
            claim = { ...claim, lastOffset: nextOffset };
          } catch (error) {
            if (!isSerializationFailure(error)) throw error;
            failures++;
          }
        }
      }),
    );
    expect(failures).toBe(0);
    for (const contract of tables) {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n, min(val) AS v FROM "${schema}"."${contract.table}"`,
      );
      expect(rows[0]).toEqual({ n: 42, v: `b${BATCHES - 1}` });
    }
    await destination.close();
  });

  it('the naive pattern of seed 000 (concurrent delete-then-insert into one table) fails under the same setting', async () => {
    const pool = testPool();
    const schema = uniqueName('naive');
    dropSchemasAfterTest(schema);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".sales (salesid bigint, qty integer)`);
    await pool.query(`INSERT INTO "${schema}".sales SELECT g, 0 FROM generate_series(1, 100) g`);

    let arrived = 0;
    let release!: () => void;
    const barrier = new Promise<void>((resolve) => (release = resolve));
    const writers = Array.from({ length: LANES }, async (_, writer) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        await client.query(`SELECT count(*) FROM "${schema}".sales`);
        await client.query(
          `CREATE TEMP TABLE stagesales ON COMMIT DROP AS SELECT g AS salesid, ${writer} AS qty FROM generate_series(${writer * 20 + 1}, ${writer * 20 + 20}) g`,
        );
        await client.query(
          `DELETE FROM "${schema}".sales USING stagesales WHERE sales.salesid = stagesales.salesid`,
        );
        await client.query(`INSERT INTO "${schema}".sales SELECT * FROM stagesales`);
        // Every writer is inside its transaction before any commits: they are concurrent.
        if (++arrived === LANES) release();
        await barrier;
        await client.query('COMMIT');
        return 'committed';
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (++arrived === LANES) release();
        if (isSerializationFailure(error)) return 'serialization failure';
        throw error;
      } finally {
        client.release();
      }
    });
    const outcomes = await Promise.all(writers);
    expect(outcomes.filter((o) => o === 'serialization failure').length).toBeGreaterThan(0);
  });
});

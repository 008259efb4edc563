import { describe, expect, it, onTestFinished } from 'vitest';
import { Readable } from 'node:stream';
import { parseConfig, type TableContract } from '@app/config';
import {
  CopyFromStdinLoader,
  encodeCsv,
  encodeRedshiftStagedFile,
  RedshiftDestination,
  type RedshiftDestinationOptions,
  type StagedRow,
} from '@app/warehouse';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool, testConnection } from '../support/postgres';
import { describeDestination } from './destination-suite';

/**
 * The Redshift destination against PostgreSQL: every statement is the Redshift dialect's
 * (staging DDL, LOCK, checkpoint claim and compare-and-set, count check, merge, DDL) in its
 * PostgreSQL-compatible form; only the load step is swapped, COPY FROM S3 for COPY FROM STDIN
 * of the same gzip CSV file.
 */
function redshiftOnPostgres(stateSchema: string, options: Partial<RedshiftDestinationOptions> = {}) {
  return new RedshiftDestination({
    pool: { ...testConnection(), max: 4 },
    stateSchema,
    createTables: true,
    lockTimeoutMs: 10_000,
    loadTimeoutMs: 60_000,
    lockTables: true,
    loader: new CopyFromStdinLoader(),
    ...options,
    dialect: { compatibility: 'postgres', ...options.dialect },
  });
}

describeDestination('Redshift dialect on PostgreSQL, delete-then-insert, LOCK', {
  create: (state, options) => redshiftOnPostgres(state, options),
  encode: encodeRedshiftStagedFile,
  uniqueTombstoneIndex: false,
});

describeDestination('Redshift dialect on PostgreSQL, MERGE, no LOCK', {
  create: (state, options) =>
    redshiftOnPostgres(state, { ...options, lockTables: false, dialect: { mergeStrategy: 'merge' } }),
  encode: encodeRedshiftStagedFile,
  uniqueTombstoneIndex: false,
});

describe('Redshift destination on PostgreSQL: load step', () => {
  it('loads an uncompressed staged file as well as a gzip one', async () => {
    const pool = testPool();
    const schema = uniqueName('rsplain');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const [items] = parseConfig({
      tables: [{ name: `${schema}.items`, columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] }],
    }).tables as [TableContract];
    const destination = redshiftOnPostgres(state);
    onTestFinished(() => destination.close());
    await destination.prepareTable(items);
    const claim = await destination.claimLane(items, 'changes', 0, 'plain');
    const rows: StagedRow[] = [{ op: 'u', values: ['1', 'plain "csv"'] }];
    await destination.applyBatch({
      contract: items,
      topic: 'changes',
      partition: 0,
      claim,
      nextOffset: 0,
      rowCount: 1,
      openStagedData: async () => Readable.from([encodeCsv(rows)]),
    });
    expect((await pool.query(`SELECT id, val FROM "${schema}".items`)).rows).toEqual([
      { id: '1', val: 'plain "csv"' },
    ]);
  });
});

describe('Redshift LOCK ordering, on PostgreSQL SERIALIZABLE with table-level conflicts', () => {
  it('two writers sharing a table wait for each other instead of failing', async () => {
    const pool = testPool();
    const schema = uniqueName('rslock');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const [shared] = parseConfig({
      tables: [
        {
          name: `${schema}.shared`,
          columns: { id: 'bigint', val: 'text', ver: 'bigint' },
          primaryKey: ['id'],
          version: 'ver',
        },
      ],
    }).tables as [TableContract];
    // Each writer reads every table it touches in full after its LOCK, as Redshift detects
    // conflicts: without the LOCK, two such transactions on one table fail with 40001.
    const writers = [0, 1].map(() => {
      const destination = redshiftOnPostgres(state, {
        isolation: 'serializable',
        emulateTableLevelConflicts: true,
      });
      onTestFinished(() => destination.close());
      return destination;
    });
    await writers[0]!.prepareTable(shared);

    let failures = 0;
    await Promise.all(
      writers.map(async (destination, lane) => {
        let claim = await destination.claimLane(shared, 'changes', lane, `writer-${lane}`);
        for (let round = 0; round < 5; round++) {
          const rows: StagedRow[] = Array.from({ length: 20 }, (_, i) => ({
            op: 'u',
            values: [String(lane * 100 + i), `r${round}`, String(round + 1)],
          }));
          const body = encodeRedshiftStagedFile(rows);
          const nextOffset = claim.lastOffset + rows.length;
          try {
            await destination.applyBatch({
              contract: shared,
              topic: 'changes',
              partition: lane,
              claim,
              nextOffset,
              rowCount: rows.length,
              openStagedData: async () => Readable.from([body]),
            });
            claim = { ...claim, lastOffset: nextOffset };
          } catch (error) {
            if ((error as { code?: string }).code !== '40001') throw error;
            failures++;
          }
        }
      }),
    );
    expect(failures).toBe(0);
    const { rows } = await pool.query(`SELECT count(*)::int AS n, min(val) AS v FROM "${schema}".shared`);
    expect(rows[0]).toEqual({ n: 40, v: 'r4' });
  });
});

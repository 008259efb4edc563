import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { encodeCsv, PostgresDestination } from '@app/warehouse';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool, testConnection } from '../support/postgres';

describe('target tables from contracts', () => {
  it('creates a missing table, then adds a column new to the contract without touching existing rows', async () => {
    const pool = testPool();
    const schema = uniqueName('ddl');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const destination = new PostgresDestination({
      pool: testConnection(),
      stateSchema: state,
      createTables: true,
      lockTimeoutMs: 2000,
    });
    const v1 = parseConfig({
      tables: [{ name: `${schema}.accounts`, columns: { id: 'bigint', name: 'text' }, primaryKey: ['id'] }],
    }).tables[0]!;
    await destination.prepareTable(v1);
    let claim = await destination.claimLane(v1, 'changes', 0, 'ddl');
    await destination.applyBatch({
      contract: v1,
      topic: 'changes',
      partition: 0,
      claim,
      nextOffset: 0,
      rowCount: 1,
      openStagedData: async () => Readable.from([encodeCsv([{ op: 'u', values: ['1', 'first'] }])]),
    });
    claim = { ...claim, lastOffset: 0 };

    const v2 = parseConfig({
      tables: [
        {
          name: `${schema}.accounts`,
          columns: { id: 'bigint', name: 'text', balance: 'numeric(12,2)' },
          primaryKey: ['id'],
        },
      ],
    }).tables[0]!;
    await destination.prepareTable(v2);
    await destination.prepareTable(v2); // idempotent
    await destination.applyBatch({
      contract: v2,
      topic: 'changes',
      partition: 0,
      claim,
      nextOffset: 1,
      rowCount: 1,
      openStagedData: async () => Readable.from([encodeCsv([{ op: 'u', values: ['2', 'second', '10.50'] }])]),
    });

    const { rows } = await pool.query(`SELECT id, name, balance FROM "${schema}".accounts ORDER BY id`);
    expect(rows).toEqual([
      { id: '1', name: 'first', balance: null },
      { id: '2', name: 'second', balance: '10.50' },
    ]);
    const pk = await pool.query(
      `SELECT count(*)::int AS n FROM information_schema.table_constraints WHERE table_schema = $1 AND constraint_type = 'PRIMARY KEY'`,
      [schema],
    );
    expect(pk.rows[0].n).toBe(1);
    await destination.close();
  });
});

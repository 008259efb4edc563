import { describe, expect, it } from 'vitest';
import { ADVANCE, dialectTables, STATE } from '../../../test/support/dialect-fixtures';
import { CheckpointNotAdvancing } from './errors';
import { PostgresDialect } from './postgres/postgres-dialect';
import { RedshiftDialect } from './redshift/redshift-dialect';

const { sales, users, ambiguous } = dialectTables();

/** The golden SQL that SqlDialect builds once for both warehouses: each dialect gives exactly this. */
describe.each([
  ['PostgresDialect', new PostgresDialect()],
  ['RedshiftDialect', new RedshiftDialect()],
  ['RedshiftDialect (PostgreSQL-compatible)', new RedshiftDialect({ compatibility: 'postgres' })],
])('%s: the statements both warehouses spell alike', (_name, dialect) => {
  it('creates schemas and lists columns and state tables with parameters', () => {
    expect(dialect.createSchema('tablelane')).toBe('CREATE SCHEMA IF NOT EXISTS "tablelane"');
    expect(dialect.listColumns(users)).toEqual({
      text: 'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      values: ['app', 'users'],
    });
    expect(dialect.stateTableExists(STATE, 'public__sales__ckpt')).toEqual({
      text: 'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
      values: ['tablelane', 'public__sales__ckpt'],
    });
  });

  it("copies a legacy-named tombstone table into its current name, the table's key and version", () => {
    expect(dialect.copyLegacyState(STATE, ambiguous, 'tombstone', 'sales__eu__orders__tomb')).toBe(
      'INSERT INTO "tablelane"."sales__eu__orders___080d04b98e42__tomb" ("id", "ver") ' +
        'SELECT "id", "ver" FROM "tablelane"."sales__eu__orders__tomb"',
    );
  });

  it('refuses to build a compare-and-set that would not move the checkpoint forward', () => {
    const stuck = { ...ADVANCE, previousOffset: 180 };
    expect(() => dialect.advanceCheckpoint(STATE, sales, { ...stuck, nextOffset: 180 })).toThrow(
      CheckpointNotAdvancing,
    );
    expect(() => dialect.advanceCheckpoint(STATE, sales, { ...stuck, nextOffset: 99 })).toThrow(
      /strictly forward/,
    );
  });

  it('reads every table a merge touches, in full', () => {
    expect(dialect.readTouchedTables(STATE, sales)).toEqual([
      'SELECT count(*) FROM "public"."sales"',
      'SELECT count(*) FROM "tablelane"."public__sales__ckpt"',
      'SELECT count(*) FROM "tablelane"."public__sales__tomb"',
    ]);
    expect(dialect.readTouchedTables(STATE, users)).toEqual([
      'SELECT count(*) FROM "app"."users"',
      'SELECT count(*) FROM "tablelane"."app__users__ckpt"',
    ]);
  });

  it('refuses a lock timeout that is not a positive whole number of ms', () => {
    expect(() => dialect.lockTimeout(0)).toThrow(/positive/);
    expect(() => dialect.lockTimeout(1.5)).toThrow(/whole number/);
  });

  it('cancels and terminates sessions by pid', () => {
    expect(dialect.cancelSession(42)).toEqual({
      text: 'SELECT pg_cancel_backend($1) AS cancelled',
      values: [42],
    });
    expect(dialect.terminateSession(42)).toEqual({
      text: 'SELECT pg_terminate_backend($1) AS cancelled',
      values: [42],
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  ADVANCE,
  dialectTables,
  RUN,
  RUN_AT,
  SNAPSHOT_SHAPES,
  STATE,
} from '../../../test/support/dialect-fixtures';
import { CheckpointNotAdvancing } from './errors';
import { PostgresDialect } from './postgres/postgres-dialect';
import { RedshiftDialect } from './redshift/redshift-dialect';

const { sales, users, clicks, ambiguous } = dialectTables();

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

  it("records a snapshot run's begin, counts, end and cancel in the runs table, every value a parameter", () => {
    const begun = dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.begun, RUN_AT);
    // An older run still open is abandoned as cancelled first; the begin records its run once.
    expect(begun.beforeMerge.slice(0, 3)).toEqual([
      {
        text: 'DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1',
        values: [SNAPSHOT_SHAPES.begun.abandoned],
      },
      {
        text:
          'UPDATE "tablelane"."public__sales__srun" SET "state" = \'cancelled\', "ended_at" = $2, ' +
          '"rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1',
        values: [SNAPSHOT_SHAPES.begun.abandoned, RUN_AT, 0, null],
      },
      {
        text:
          'INSERT INTO "tablelane"."public__sales__srun" ("run", "state", "begun_at", "rows_seen", "total") ' +
          "SELECT CAST($1 AS varchar(200)), 'open', CAST($2 AS timestamptz), 0, CAST($3 AS bigint) " +
          'WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__srun" WHERE "run" = $1)',
        values: [RUN, SNAPSHOT_SHAPES.begun.begunAt, 1200],
      },
    ]);
    expect(begun.beforeMerge).toHaveLength(4);
    expect(begun.afterMerge).toEqual([
      {
        text: 'UPDATE "tablelane"."public__sales__srun" SET "rows_seen" = "rows_seen" + $2 WHERE "run" = $1',
        values: [RUN, 100],
      },
    ]);
    // A batch of live changes only marks its keys: nothing to count.
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.live, RUN_AT).afterMerge).toEqual([]);
    // A cancel forgets the seen keys and deletes nothing from the target.
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.cancelled, RUN_AT)).toEqual({
      beforeMerge: [],
      afterMerge: [
        { text: 'DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1', values: [RUN] },
        {
          text:
            'UPDATE "tablelane"."public__sales__srun" SET "state" = \'cancelled\', "ended_at" = $2, ' +
            '"rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1',
          values: [RUN, RUN_AT, 3, null],
        },
      ],
    });
    // An end: the unseen rows' delete (the dialect's own), then the same two.
    const ended = dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.ended, RUN_AT).afterMerge;
    expect(ended.slice(-2)).toEqual([
      { text: 'DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1', values: [RUN] },
      {
        text:
          'UPDATE "tablelane"."public__sales__srun" SET "state" = \'done\', "ended_at" = $2, ' +
          '"rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1',
        values: [RUN, RUN_AT, 200, 1200],
      },
    ]);
    const incomplete = dialect.snapshotStatements(
      STATE,
      sales,
      SNAPSHOT_SHAPES.incomplete,
      RUN_AT,
    ).afterMerge;
    expect(incomplete).toHaveLength(2);
    expect(incomplete[1]!.text).toContain(`"state" = 'incomplete'`);
    // The run id is never in the text.
    for (const query of [...begun.beforeMerge, ...ended, ...incomplete])
      expect(query.text).not.toContain('@');
  });

  it('reads the runs, the open one first, and refuses snapshots of an append table', () => {
    expect(dialect.readSnapshotRuns(STATE, ambiguous)).toBe(
      'SELECT "run", "state", "begun_at", "ended_at", "rows_seen", "rows_expected", "total" ' +
        'FROM "tablelane"."sales__eu__orders___080d04b98e42__srun" ' +
        `ORDER BY CASE WHEN "state" = 'open' THEN 0 ELSE 1 END, "begun_at" DESC LIMIT 20`,
    );
    expect(() => dialect.readSnapshotRuns(STATE, clicks)).toThrow(/append-only/);
    expect(() => dialect.snapshotStatements(STATE, clicks, SNAPSHOT_SHAPES.live)).toThrow(/append-only/);
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

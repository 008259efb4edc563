import { describe, expect, it } from 'vitest';
import {
  ADVANCE,
  dialectTables,
  LANE,
  RUN_AT,
  SHAPES,
  SNAPSHOT_SHAPES,
  STATE,
} from '../../../../test/support/dialect-fixtures';
import { PostgresDialect } from './postgres-dialect';

// The statements SqlDialect builds for both warehouses are golden-tested in ../dialect.spec.ts.
const { sales, users, clicks, ambiguous } = dialectTables();
const dialect = new PostgresDialect();

describe('PostgresDialect golden SQL', () => {
  it('creates target tables from contracts', () => {
    expect(dialect.createTargetTable(sales)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "public"."sales" ("salesid" bigint NOT NULL, "listid" integer NOT NULL, "qty" integer, "price" numeric(8,2), "note" varchar(20), "ver" bigint, PRIMARY KEY ("salesid", "listid"))"`,
    );
    expect(dialect.createTargetTable(users)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "app"."users" ("id" bigint NOT NULL, "email" text, "meta" jsonb, PRIMARY KEY ("id"))"`,
    );
    expect(dialect.createTargetTable(clicks)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "app"."clicks" ("at" timestamptz, "url" text)"`,
    );
  });

  it('adds a column if it does not exist', () => {
    expect(dialect.addColumn(users, { name: 'age', type: { kind: 'integer' } })).toMatchInlineSnapshot(
      `"ALTER TABLE "app"."users" ADD COLUMN IF NOT EXISTS "age" integer"`,
    );
  });

  it('builds per-table checkpoint and tombstone tables', () => {
    expect(dialect.createCheckpointTable(STATE, sales)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__ckpt" (topic varchar(249) NOT NULL, partition integer NOT NULL, last_offset bigint NOT NULL, epoch bigint NOT NULL, owner varchar(256), claimed_at timestamptz, committed_at timestamptz, PRIMARY KEY (topic, partition))"`,
    );
    expect(dialect.prepareTombstoneTable(STATE, sales)).toMatchInlineSnapshot(`
      [
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__tomb" ("salesid" bigint, "listid" integer, "ver" bigint, "recorded_at" timestamptz NOT NULL DEFAULT now())",
        "ALTER TABLE "tablelane"."public__sales__tomb" ADD COLUMN IF NOT EXISTS "recorded_at" timestamptz NOT NULL DEFAULT now()",
        "DELETE FROM "tablelane"."public__sales__tomb" a USING "tablelane"."public__sales__tomb" b WHERE a."salesid" = b."salesid" AND a."listid" = b."listid" AND (a."ver" < b."ver" OR (a."ver" IS NOT DISTINCT FROM b."ver" AND a.ctid < b.ctid)) AND to_regclass('"tablelane"."public__sales__tkey"') IS NULL",
        "CREATE UNIQUE INDEX IF NOT EXISTS "public__sales__tkey" ON "tablelane"."public__sales__tomb" ("salesid", "listid")",
      ]
    `);
  });

  it('claims and advances checkpoints as compare-and-set', () => {
    expect(dialect.initCheckpoint(STATE, sales, LANE.topic, LANE.partition)).toMatchInlineSnapshot(`
      {
        "text": "INSERT INTO "tablelane"."public__sales__ckpt" (topic, partition, last_offset, epoch) VALUES ($1, $2, -1, 0) ON CONFLICT (topic, partition) DO NOTHING",
        "values": [
          "tablelane.changes",
          3,
        ],
      }
    `);
    expect(dialect.claimCheckpoint(STATE, sales, LANE.topic, LANE.partition, 'sink-1'))
      .toMatchInlineSnapshot(`
      {
        "text": "UPDATE "tablelane"."public__sales__ckpt" SET epoch = epoch + 1, owner = $3, claimed_at = now() WHERE topic = $1 AND partition = $2 RETURNING last_offset, epoch",
        "values": [
          "tablelane.changes",
          3,
          "sink-1",
        ],
      }
    `);
    expect(dialect.advanceCheckpoint(STATE, sales, ADVANCE)).toMatchInlineSnapshot(`
      {
        "text": "UPDATE "tablelane"."public__sales__ckpt" SET last_offset = $3, committed_at = now() WHERE topic = $1 AND partition = $2 AND epoch = $4 AND last_offset = $5 AND last_offset < $3",
        "values": [
          "tablelane.changes",
          3,
          180,
          4,
          99,
        ],
      }
    `);
    expect(dialect.readCheckpoints(STATE, sales)).toMatchInlineSnapshot(
      `"SELECT topic, partition, last_offset, epoch, owner, claimed_at, committed_at FROM "tablelane"."public__sales__ckpt" ORDER BY topic, partition"`,
    );
  });

  it('reads one lane back after a missed compare-and-set', () => {
    expect(dialect.readClaim(STATE, sales, LANE.topic, LANE.partition)).toEqual({
      text: 'SELECT last_offset, epoch FROM "tablelane"."public__sales__ckpt" WHERE topic = $1 AND partition = $2',
      values: [LANE.topic, LANE.partition],
    });
  });

  it('prunes tombstones older than the retention, by the warehouse clock', () => {
    expect(dialect.pruneTombstones(STATE, sales, 604_800_000)).toMatchInlineSnapshot(`
      {
        "text": "DELETE FROM "tablelane"."public__sales__tomb" WHERE "recorded_at" < now() - $1::float8 * interval '1 millisecond'",
        "values": [
          604800000,
        ],
      }
    `);
  });

  it('copies a legacy-named checkpoint table into its current name', () => {
    expect(
      dialect.copyLegacyState(STATE, ambiguous, 'checkpoint', 'sales__eu__orders__ckpt'),
    ).toMatchInlineSnapshot(
      `"INSERT INTO "tablelane"."sales__eu__orders___080d04b98e42__ckpt" (topic, partition, last_offset, epoch, owner, claimed_at, committed_at) SELECT topic, partition, last_offset, epoch, owner, claimed_at, committed_at FROM "tablelane"."sales__eu__orders__ckpt""`,
    );
  });

  it('stages and copies', () => {
    expect(dialect.createStagingTable(sales)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("salesid" bigint, "listid" integer, "qty" integer, "price" numeric(8,2), "note" varchar(20), "ver" bigint, "__tl_op" char(1) NOT NULL) ON COMMIT DROP"`,
    );
    expect(dialect.copyIntoStaging(sales)).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("salesid", "listid", "qty", "price", "note", "ver", "__tl_op") FROM STDIN WITH (FORMAT csv, NULL '\\N')"`,
    );
  });

  it('merges a versioned table with a version guard and tombstones', () => {
    expect(dialect.mergeStatements(STATE, sales)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "tablelane_stage" s USING "public"."sales" t WHERE t."salesid" = s."salesid" AND t."listid" = s."listid" AND t."ver" > s."ver"",
        "DELETE FROM "tablelane_stage" s USING "tablelane"."public__sales__tomb" b WHERE b."salesid" = s."salesid" AND b."listid" = s."listid" AND b."ver" > s."ver"",
        "DELETE FROM "public"."sales" t USING "tablelane_stage" s WHERE t."salesid" = s."salesid" AND t."listid" = s."listid"",
        "INSERT INTO "public"."sales" ("salesid", "listid", "qty", "price", "note", "ver") SELECT "salesid", "listid", "qty", "price", "note", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
        "DELETE FROM "tablelane"."public__sales__tomb" b USING "tablelane_stage" s WHERE b."salesid" = s."salesid" AND b."listid" = s."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver") SELECT "salesid", "listid", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
      ]
    `);
  });

  it('merges an unversioned table and appends an append table', () => {
    expect(dialect.prepareTombstoneTable(STATE, users)).toEqual([]);
    expect(dialect.mergeStatements(STATE, users)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users" t USING "tablelane_stage" s WHERE t."id" = s."id"",
        "INSERT INTO "app"."users" ("id", "email", "meta") SELECT "id", "email", "meta" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
      ]
    `);
    expect(dialect.mergeStatements(STATE, clicks)).toMatchInlineSnapshot(`
      [
        "INSERT INTO "app"."clicks" ("at", "url") SELECT "at", "url" FROM "tablelane_stage"",
      ]
    `);
  });

  it('stages and copies the keep flags and fill-from key of a partial batch only', () => {
    expect(dialect.createStagingTable(sales, SHAPES.truncated)).toBe(dialect.createStagingTable(sales));
    expect(dialect.createStagingTable(sales, SHAPES.partial)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("salesid" bigint, "listid" integer, "qty" integer, "price" numeric(8,2), "note" varchar(20), "ver" bigint, "__tl_op" char(1) NOT NULL, "__tl_keep" varchar(6), "__tl_from_0" bigint, "__tl_from_1" integer) ON COMMIT DROP"`,
    );
    expect(dialect.copyIntoStaging(sales, SHAPES.both)).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("salesid", "listid", "qty", "price", "note", "ver", "__tl_op", "__tl_keep", "__tl_from_0", "__tl_from_1") FROM STDIN WITH (FORMAT csv, NULL '\\N')"`,
    );
  });

  it('truncates a versioned table first: tombstones at the staged version, then DELETE, then the t row goes', () => {
    expect(dialect.mergeStatements(STATE, sales, SHAPES.truncated)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "tablelane"."public__sales__tomb" b USING "public"."sales" t WHERE b."salesid" = t."salesid" AND b."listid" = t."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver") SELECT t."salesid", t."listid", s."ver" FROM "public"."sales" t, "tablelane_stage" s WHERE s."__tl_op" = 't'",
        "DELETE FROM "public"."sales"",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 't'",
        "DELETE FROM "tablelane_stage" s USING "public"."sales" t WHERE t."salesid" = s."salesid" AND t."listid" = s."listid" AND t."ver" > s."ver"",
        "DELETE FROM "tablelane_stage" s USING "tablelane"."public__sales__tomb" b WHERE b."salesid" = s."salesid" AND b."listid" = s."listid" AND b."ver" > s."ver"",
        "DELETE FROM "public"."sales" t USING "tablelane_stage" s WHERE t."salesid" = s."salesid" AND t."listid" = s."listid"",
        "INSERT INTO "public"."sales" ("salesid", "listid", "qty", "price", "note", "ver") SELECT "salesid", "listid", "qty", "price", "note", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
        "DELETE FROM "tablelane"."public__sales__tomb" b USING "tablelane_stage" s WHERE b."salesid" = s."salesid" AND b."listid" = s."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver") SELECT "salesid", "listid", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
      ]
    `);
  });

  it('fills kept columns from the target before the version guard, at the fill-from key or the own one', () => {
    expect(dialect.mergeStatements(STATE, sales, SHAPES.partial)).toMatchInlineSnapshot(`
      [
        "UPDATE "tablelane_stage" s SET "qty" = CASE WHEN SUBSTRING(s."__tl_keep", 3, 1) = '1' THEN t."qty" ELSE s."qty" END, "price" = CASE WHEN SUBSTRING(s."__tl_keep", 4, 1) = '1' THEN t."price" ELSE s."price" END, "note" = CASE WHEN SUBSTRING(s."__tl_keep", 5, 1) = '1' THEN t."note" ELSE s."note" END FROM "public"."sales" t WHERE s."__tl_keep" IS NOT NULL AND t."salesid" = COALESCE(s."__tl_from_0", s."salesid") AND t."listid" = COALESCE(s."__tl_from_1", s."listid")",
        "DELETE FROM "tablelane_stage" s USING "public"."sales" t WHERE t."salesid" = s."salesid" AND t."listid" = s."listid" AND t."ver" > s."ver"",
        "DELETE FROM "tablelane_stage" s USING "tablelane"."public__sales__tomb" b WHERE b."salesid" = s."salesid" AND b."listid" = s."listid" AND b."ver" > s."ver"",
        "DELETE FROM "public"."sales" t USING "tablelane_stage" s WHERE t."salesid" = s."salesid" AND t."listid" = s."listid"",
        "INSERT INTO "public"."sales" ("salesid", "listid", "qty", "price", "note", "ver") SELECT "salesid", "listid", "qty", "price", "note", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
        "DELETE FROM "tablelane"."public__sales__tomb" b USING "tablelane_stage" s WHERE b."salesid" = s."salesid" AND b."listid" = s."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver") SELECT "salesid", "listid", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
      ]
    `);
  });

  it('truncates, then fills, an unversioned table', () => {
    expect(dialect.mergeStatements(STATE, users, SHAPES.both)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users"",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 't'",
        "UPDATE "tablelane_stage" s SET "email" = CASE WHEN SUBSTRING(s."__tl_keep", 2, 1) = '1' THEN t."email" ELSE s."email" END, "meta" = CASE WHEN SUBSTRING(s."__tl_keep", 3, 1) = '1' THEN t."meta" ELSE s."meta" END FROM "app"."users" t WHERE s."__tl_keep" IS NOT NULL AND t."id" = COALESCE(s."__tl_from_0", s."id")",
        "DELETE FROM "app"."users" t USING "tablelane_stage" s WHERE t."id" = s."id"",
        "INSERT INTO "app"."users" ("id", "email", "meta") SELECT "id", "email", "meta" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
      ]
    `);
  });

  it('refuses CDC shapes for an append table', () => {
    expect(() => dialect.mergeStatements(STATE, clicks, SHAPES.truncated)).toThrow(/append-only/);
  });

  it("builds a merge table's snapshot tables: seen keys with a unique index on run and key, and the runs", () => {
    expect(dialect.prepareSnapshotTables(STATE, sales)).toMatchInlineSnapshot(`
      [
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__snap" ("__tl_run" varchar(200) NOT NULL, "salesid" bigint NOT NULL, "listid" integer NOT NULL)",
        "CREATE UNIQUE INDEX IF NOT EXISTS "public__sales__skey" ON "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid")",
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__srun" ("run" varchar(200) NOT NULL, "state" varchar(16) NOT NULL, "begun_at" timestamptz, "ended_at" timestamptz, "rows_seen" bigint NOT NULL, "rows_expected" bigint, "total" bigint, PRIMARY KEY ("run"))",
      ]
    `);
    expect(dialect.prepareSnapshotTables(STATE, users)[0]).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "tablelane"."app__users__snap" ("__tl_run" varchar(200) NOT NULL, "id" bigint NOT NULL)"`,
    );
    expect(() => dialect.prepareSnapshotTables(STATE, clicks)).toThrow(/append-only/);
  });

  it('opens a run and marks every staged key seen before the guard, the run as a parameter', () => {
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.begun, RUN_AT)).toMatchInlineSnapshot(`
      {
        "afterMerge": [
          {
            "text": "UPDATE "tablelane"."public__sales__srun" SET "rows_seen" = "rows_seen" + $2 WHERE "run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              100,
            ],
          },
        ],
        "beforeMerge": [
          {
            "text": "DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1",
            "values": [
              "public.sales@20261130T100000Z-0a0b0c",
            ],
          },
          {
            "text": "UPDATE "tablelane"."public__sales__srun" SET "state" = 'cancelled', "ended_at" = $2, "rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1",
            "values": [
              "public.sales@20261130T100000Z-0a0b0c",
              2026-12-01T10:05:00.000Z,
              0,
              null,
            ],
          },
          {
            "text": "INSERT INTO "tablelane"."public__sales__srun" ("run", "state", "begun_at", "rows_seen", "total") SELECT CAST($1 AS varchar(200)), 'open', CAST($2 AS timestamptz), 0, CAST($3 AS bigint) WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__srun" WHERE "run" = $1)",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              2026-12-01T10:00:00.000Z,
              1200,
            ],
          },
          {
            "text": "INSERT INTO "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid") SELECT CAST($1 AS varchar(200)), s."salesid", s."listid" FROM "tablelane_stage" s WHERE s."__tl_op" <> 't' ON CONFLICT DO NOTHING",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
        ],
      }
    `);
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.running, RUN_AT)).toMatchInlineSnapshot(`
      {
        "afterMerge": [
          {
            "text": "UPDATE "tablelane"."public__sales__srun" SET "rows_seen" = "rows_seen" + $2 WHERE "run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              500,
            ],
          },
        ],
        "beforeMerge": [
          {
            "text": "INSERT INTO "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid") SELECT CAST($1 AS varchar(200)), s."salesid", s."listid" FROM "tablelane_stage" s WHERE s."__tl_op" <> 't' ON CONFLICT DO NOTHING",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
        ],
      }
    `);
  });

  it('ends a run after the merge: unseen rows deleted in place, tombstoned at their version in the same statement', () => {
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.ended, RUN_AT)).toMatchInlineSnapshot(`
      {
        "afterMerge": [
          {
            "text": "WITH gone AS (DELETE FROM "public"."sales" t WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__snap" k WHERE k."__tl_run" = $1 AND k."salesid" = t."salesid" AND k."listid" = t."listid") RETURNING t."salesid", t."listid", t."ver") INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver") SELECT "salesid", "listid", "ver" FROM gone ON CONFLICT ("salesid", "listid") DO UPDATE SET "ver" = EXCLUDED."ver", "recorded_at" = now()",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
          {
            "text": "DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
          {
            "text": "UPDATE "tablelane"."public__sales__srun" SET "state" = 'done', "ended_at" = $2, "rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              2026-12-01T10:05:00.000Z,
              200,
              1200,
            ],
          },
        ],
        "beforeMerge": [
          {
            "text": "INSERT INTO "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid") SELECT CAST($1 AS varchar(200)), s."salesid", s."listid" FROM "tablelane_stage" s WHERE s."__tl_op" <> 't' ON CONFLICT DO NOTHING",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
        ],
      }
    `);
    expect(
      dialect.snapshotStatements(STATE, users, { ...SNAPSHOT_SHAPES.ended, run: 'r1' }, RUN_AT).afterMerge,
    ).toMatchInlineSnapshot(`
        [
          {
            "text": "DELETE FROM "app"."users" t WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."app__users__snap" k WHERE k."__tl_run" = $1 AND k."id" = t."id")",
            "values": [
              "r1",
            ],
          },
          {
            "text": "DELETE FROM "tablelane"."app__users__snap" WHERE "__tl_run" = $1",
            "values": [
              "r1",
            ],
          },
          {
            "text": "UPDATE "tablelane"."app__users__srun" SET "state" = 'done', "ended_at" = $2, "rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1",
            "values": [
              "r1",
              2026-12-01T10:05:00.000Z,
              200,
              1200,
            ],
          },
        ]
      `);
  });

  it('ends an incomplete run, or cancels one, without deleting anything from the target', () => {
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.incomplete, RUN_AT))
      .toMatchInlineSnapshot(`
      {
        "afterMerge": [
          {
            "text": "DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
          {
            "text": "UPDATE "tablelane"."public__sales__srun" SET "state" = 'incomplete', "ended_at" = $2, "rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              2026-12-01T10:05:00.000Z,
              199,
              1200,
            ],
          },
        ],
        "beforeMerge": [
          {
            "text": "INSERT INTO "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid") SELECT CAST($1 AS varchar(200)), s."salesid", s."listid" FROM "tablelane_stage" s WHERE s."__tl_op" <> 't' ON CONFLICT DO NOTHING",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
        ],
      }
    `);
    expect(dialect.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.cancelled, RUN_AT))
      .toMatchInlineSnapshot(`
      {
        "afterMerge": [
          {
            "text": "DELETE FROM "tablelane"."public__sales__snap" WHERE "__tl_run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
          {
            "text": "UPDATE "tablelane"."public__sales__srun" SET "state" = 'cancelled', "ended_at" = $2, "rows_seen" = "rows_seen" + $3, "rows_expected" = $4 WHERE "run" = $1",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              2026-12-01T10:05:00.000Z,
              3,
              null,
            ],
          },
        ],
        "beforeMerge": [],
      }
    `);
  });

  it('sets the lock timeout for the transaction', () => {
    expect(dialect.lockTimeout(2000)).toMatchInlineSnapshot(`"SET LOCAL lock_timeout = '2000ms'"`);
  });

  it('prices page reads as SSD or cache reads in its own transactions, so merges look keys up', () => {
    expect(dialect.plannerSettings()).toEqual(['SET LOCAL random_page_cost = 1.1']);
  });
});

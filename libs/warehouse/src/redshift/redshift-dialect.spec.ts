import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import {
  ADVANCE,
  dialectTables,
  LANE,
  SHAPES,
  SNAPSHOT_SHAPES,
  STATE,
} from '../../../../test/support/dialect-fixtures';
import { ORDINARY_SHAPE } from '../staging-shape';
import { RedshiftDialect } from './redshift-dialect';

// The statements SqlDialect builds for both warehouses are golden-tested in ../dialect.spec.ts;
// the extra columns cover the types Redshift maps its own way.
const { sales, users, clicks, ambiguous } = dialectTables({
  sales: { sold: 'timestamptz' },
  users: { score: 'double', active: 'boolean', born: 'date', seen: 'timestamp' },
});
const redshift = new RedshiftDialect();
const compatible = new RedshiftDialect({ compatibility: 'postgres' });
const merging = new RedshiftDialect({ mergeStrategy: 'merge' });
const at = new Date('2026-11-21T09:00:00.000Z');

describe('RedshiftDialect golden SQL', () => {
  it('creates target tables with Redshift types and key distribution', () => {
    expect(redshift.createTargetTable(sales)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "public"."sales" ("salesid" BIGINT NOT NULL, "listid" INTEGER NOT NULL, "qty" INTEGER, "price" DECIMAL(8,2), "note" VARCHAR(20), "sold" TIMESTAMPTZ, "ver" BIGINT, PRIMARY KEY ("salesid", "listid")) DISTKEY ("salesid") SORTKEY ("salesid", "listid")"`,
    );
    expect(redshift.createTargetTable(users)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "app"."users" ("id" BIGINT NOT NULL, "email" VARCHAR(65535), "meta" SUPER, "score" DOUBLE PRECISION, "active" BOOLEAN, "born" DATE, "seen" TIMESTAMP, PRIMARY KEY ("id")) DISTKEY ("id") SORTKEY ("id")"`,
    );
    expect(redshift.createTargetTable(clicks)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "app"."clicks" ("at" TIMESTAMPTZ, "url" VARCHAR(65535))"`,
    );
  });

  it('keeps to SQL PostgreSQL also accepts in the compatible mode', () => {
    expect(compatible.createTargetTable(users)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "app"."users" ("id" BIGINT NOT NULL, "email" VARCHAR(65535), "meta" VARCHAR(65535), "score" DOUBLE PRECISION, "active" BOOLEAN, "born" DATE, "seen" TIMESTAMP, PRIMARY KEY ("id"))"`,
    );
    expect(compatible.prepareTombstoneTable(STATE, sales)).toMatchInlineSnapshot(`
      [
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__tomb" ("salesid" BIGINT, "listid" INTEGER, "ver" BIGINT, "recorded_at" TIMESTAMPTZ)",
      ]
    `);
    expect(compatible.createStagingTable(users)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("id" BIGINT, "email" VARCHAR(65535), "meta" VARCHAR(65535), "score" DOUBLE PRECISION, "active" BOOLEAN, "born" DATE, "seen" TIMESTAMP, "__tl_op" CHAR(1) NOT NULL)"`,
    );
    expect(compatible.mergeStatements(STATE, users)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users" USING "tablelane_stage" WHERE "users"."id" = "tablelane_stage"."id"",
        "INSERT INTO "app"."users" ("id", "email", "meta", "score", "active", "born", "seen") SELECT "id", "email", "meta", "score", "active", "born", "seen" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
      ]
    `);
  });

  it('adds a column without IF NOT EXISTS', () => {
    expect(redshift.addColumn(users, { name: 'tags', type: { kind: 'json' } })).toMatchInlineSnapshot(
      `"ALTER TABLE "app"."users" ADD COLUMN "tags" SUPER"`,
    );
  });

  it('builds per-table checkpoint and tombstone tables', () => {
    expect(redshift.createCheckpointTable(STATE, sales)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__ckpt" ("topic" VARCHAR(249) NOT NULL, "partition" INTEGER NOT NULL, "last_offset" BIGINT NOT NULL, "epoch" BIGINT NOT NULL, "owner" VARCHAR(256), "claimed_at" TIMESTAMPTZ, "committed_at" TIMESTAMPTZ, PRIMARY KEY ("topic", "partition"))"`,
    );
    expect(redshift.prepareTombstoneTable(STATE, sales)).toMatchInlineSnapshot(`
      [
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__tomb" ("salesid" BIGINT, "listid" INTEGER, "ver" BIGINT, "recorded_at" TIMESTAMPTZ) DISTKEY ("salesid") SORTKEY ("salesid", "listid")",
      ]
    `);
  });

  it('claims checkpoints without ON CONFLICT or RETURNING, timestamps as parameters', () => {
    expect(redshift.lockCheckpointTable(STATE, sales)).toMatchInlineSnapshot(
      `"LOCK TABLE "tablelane"."public__sales__ckpt""`,
    );
    expect(redshift.initCheckpoint(STATE, sales, LANE.topic, LANE.partition)).toMatchInlineSnapshot(`
      {
        "text": "INSERT INTO "tablelane"."public__sales__ckpt" ("topic", "partition", "last_offset", "epoch") SELECT CAST($1 AS VARCHAR(249)), CAST($2 AS INTEGER), -1, 0 WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__ckpt" WHERE "topic" = $1 AND "partition" = $2)",
        "values": [
          "tablelane.changes",
          3,
        ],
      }
    `);
    expect(redshift.claimCheckpoint(STATE, sales, LANE.topic, LANE.partition, 'sink-1', at))
      .toMatchInlineSnapshot(`
      {
        "text": "UPDATE "tablelane"."public__sales__ckpt" SET "epoch" = "epoch" + 1, "owner" = $3, "claimed_at" = $4 WHERE "topic" = $1 AND "partition" = $2",
        "values": [
          "tablelane.changes",
          3,
          "sink-1",
          2026-11-21T09:00:00.000Z,
        ],
      }
    `);
    expect(redshift.readClaim(STATE, sales, LANE.topic, LANE.partition)).toMatchInlineSnapshot(`
      {
        "text": "SELECT "last_offset", "epoch" FROM "tablelane"."public__sales__ckpt" WHERE "topic" = $1 AND "partition" = $2",
        "values": [
          "tablelane.changes",
          3,
        ],
      }
    `);
  });

  it('advances checkpoints as compare-and-set and reads them', () => {
    expect(redshift.advanceCheckpoint(STATE, sales, ADVANCE, at)).toMatchInlineSnapshot(`
      {
        "text": "UPDATE "tablelane"."public__sales__ckpt" SET "last_offset" = $3, "committed_at" = $6 WHERE "topic" = $1 AND "partition" = $2 AND "epoch" = $4 AND "last_offset" = $5 AND "last_offset" < $3",
        "values": [
          "tablelane.changes",
          3,
          180,
          4,
          99,
          2026-11-21T09:00:00.000Z,
        ],
      }
    `);
    expect(redshift.readCheckpoints(STATE, sales)).toMatchInlineSnapshot(
      `"SELECT "topic", "partition", "last_offset", "epoch", "owner", "claimed_at", "committed_at" FROM "tablelane"."public__sales__ckpt" ORDER BY "topic", "partition""`,
    );
  });

  it('prunes tombstones by the sink clock that dated them, and dates those of older releases', () => {
    expect(redshift.pruneTombstones(STATE, sales, 604_800_000, at)).toMatchInlineSnapshot(`
      {
        "text": "DELETE FROM "tablelane"."public__sales__tomb" WHERE "recorded_at" < $1",
        "values": [
          2026-11-14T09:00:00.000Z,
        ],
      }
    `);
    expect(redshift.listTombstoneColumns(STATE, sales)).toMatchInlineSnapshot(`
      {
        "text": "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
        "values": [
          "tablelane",
          "public__sales__tomb",
        ],
      }
    `);
    expect(redshift.addTombstoneRecordedAt(STATE, sales)).toMatchInlineSnapshot(
      `"ALTER TABLE "tablelane"."public__sales__tomb" ADD COLUMN "recorded_at" TIMESTAMPTZ"`,
    );
    expect(redshift.dateUndatedTombstones(STATE, sales, at)).toMatchInlineSnapshot(`
      {
        "text": "UPDATE "tablelane"."public__sales__tomb" SET "recorded_at" = $1 WHERE "recorded_at" IS NULL",
        "values": [
          2026-11-21T09:00:00.000Z,
        ],
      }
    `);
  });

  it('copies a legacy-named checkpoint table into its current name, every column quoted', () => {
    expect(
      redshift.copyLegacyState(STATE, ambiguous, 'checkpoint', 'sales__eu__orders__ckpt'),
    ).toMatchInlineSnapshot(
      `"INSERT INTO "tablelane"."sales__eu__orders___080d04b98e42__ckpt" ("topic", "partition", "last_offset", "epoch", "owner", "claimed_at", "committed_at") SELECT "topic", "partition", "last_offset", "epoch", "owner", "claimed_at", "committed_at" FROM "tablelane"."sales__eu__orders__ckpt""`,
    );
  });

  it('stages into a temporary table built from the contract, and drops it', () => {
    expect(redshift.createStagingTable(sales)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("salesid" BIGINT, "listid" INTEGER, "qty" INTEGER, "price" DECIMAL(8,2), "note" VARCHAR(20), "sold" TIMESTAMPTZ, "ver" BIGINT, "__tl_op" CHAR(1) NOT NULL) DISTKEY ("salesid")"`,
    );
    expect(redshift.createStagingTable(users)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("id" BIGINT, "email" VARCHAR(65535), "meta" VARCHAR(65535), "score" DOUBLE PRECISION, "active" BOOLEAN, "born" DATE, "seen" TIMESTAMP, "__tl_op" CHAR(1) NOT NULL) DISTKEY ("id")"`,
    );
    expect(redshift.createStagingTable(clicks)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("at" TIMESTAMPTZ, "url" VARCHAR(65535), "__tl_op" CHAR(1) NOT NULL)"`,
    );
    expect(redshift.dropStagingTable()).toMatchInlineSnapshot(`"DROP TABLE "tablelane_stage""`);
    expect(redshift.lastCopyCount()).toMatchInlineSnapshot(`"SELECT pg_last_copy_count() AS loaded"`);
  });

  it('copies the staged columns from S3', () => {
    expect(
      redshift.copyFromS3(sales, 's3://bucket/staging/public.sales/changes/3/1-9.csv.gz', {
        credentials: { kind: 'iam-role', roleArn: 'arn:aws:iam::123456789012:role/tablelane-copy' },
        gzip: true,
        manifest: false,
      }),
    ).toMatchInlineSnapshot(`
      {
        "redacted": "COPY "tablelane_stage" ("salesid", "listid", "qty", "price", "note", "sold", "ver", "__tl_op") FROM 's3://bucket/staging/public.sales/changes/3/1-9.csv.gz' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-copy' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF GZIP",
        "text": "COPY "tablelane_stage" ("salesid", "listid", "qty", "price", "note", "sold", "ver", "__tl_op") FROM 's3://bucket/staging/public.sales/changes/3/1-9.csv.gz' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-copy' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF GZIP",
      }
    `);
  });

  it('merges a versioned table with delete-then-insert, a version guard and tombstones', () => {
    expect(redshift.mergeStatements(STATE, sales, ORDINARY_SHAPE, at)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "tablelane_stage" USING "public"."sales" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid" AND "sales"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "tablelane_stage" USING "tablelane"."public__sales__tomb" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid" AND "public__sales__tomb"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "public"."sales" USING "tablelane_stage" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "public"."sales" ("salesid", "listid", "qty", "price", "note", "sold", "ver") SELECT "salesid", "listid", "qty", "price", "note", "sold", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
        "DELETE FROM "tablelane"."public__sales__tomb" USING "tablelane_stage" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver", "recorded_at") SELECT "salesid", "listid", "ver", CAST('2026-11-21 09:00:00.000+00' AS TIMESTAMPTZ) FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
      ]
    `);
  });

  it('merges an unversioned table, parsing JSON into SUPER, and appends an append table', () => {
    expect(redshift.mergeStatements(STATE, users)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users" USING "tablelane_stage" WHERE "users"."id" = "tablelane_stage"."id"",
        "INSERT INTO "app"."users" ("id", "email", "meta", "score", "active", "born", "seen") SELECT "id", "email", JSON_PARSE("meta"), "score", "active", "born", "seen" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
      ]
    `);
    expect(redshift.mergeStatements(STATE, clicks)).toMatchInlineSnapshot(`
      [
        "INSERT INTO "app"."clicks" ("at", "url") SELECT "at", "url" FROM "tablelane_stage"",
      ]
    `);
  });

  it('merges with MERGE when asked: deletes first, then one WHEN MATCHED action', () => {
    expect(merging.mergeStatements(STATE, sales, ORDINARY_SHAPE, at)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "tablelane_stage" USING "public"."sales" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid" AND "sales"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "tablelane_stage" USING "tablelane"."public__sales__tomb" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid" AND "public__sales__tomb"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "public"."sales" USING "tablelane_stage" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid" AND "tablelane_stage"."__tl_op" = 'd'",
        "DELETE FROM "tablelane"."public__sales__tomb" USING "tablelane_stage" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver", "recorded_at") SELECT "salesid", "listid", "ver", CAST('2026-11-21 09:00:00.000+00' AS TIMESTAMPTZ) FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
        "MERGE INTO "public"."sales" USING "tablelane_stage" ON "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid" WHEN MATCHED THEN UPDATE SET "qty" = "tablelane_stage"."qty", "price" = "tablelane_stage"."price", "note" = "tablelane_stage"."note", "sold" = "tablelane_stage"."sold", "ver" = "tablelane_stage"."ver" WHEN NOT MATCHED THEN INSERT ("salesid", "listid", "qty", "price", "note", "sold", "ver") VALUES ("tablelane_stage"."salesid", "tablelane_stage"."listid", "tablelane_stage"."qty", "tablelane_stage"."price", "tablelane_stage"."note", "tablelane_stage"."sold", "tablelane_stage"."ver")",
      ]
    `);
    expect(merging.mergeStatements(STATE, users)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users" USING "tablelane_stage" WHERE "users"."id" = "tablelane_stage"."id" AND "tablelane_stage"."__tl_op" = 'd'",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
        "MERGE INTO "app"."users" USING "tablelane_stage" ON "users"."id" = "tablelane_stage"."id" WHEN MATCHED THEN UPDATE SET "email" = "tablelane_stage"."email", "meta" = JSON_PARSE("tablelane_stage"."meta"), "score" = "tablelane_stage"."score", "active" = "tablelane_stage"."active", "born" = "tablelane_stage"."born", "seen" = "tablelane_stage"."seen" WHEN NOT MATCHED THEN INSERT ("id", "email", "meta", "score", "active", "born", "seen") VALUES ("tablelane_stage"."id", "tablelane_stage"."email", JSON_PARSE("tablelane_stage"."meta"), "tablelane_stage"."score", "tablelane_stage"."active", "tablelane_stage"."born", "tablelane_stage"."seen")",
      ]
    `);
    expect(merging.mergeStatements(STATE, clicks)).toMatchInlineSnapshot(`
      [
        "INSERT INTO "app"."clicks" ("at", "url") SELECT "at", "url" FROM "tablelane_stage"",
      ]
    `);
  });

  it('stages and copies the keep flags and fill-from key of a partial batch only', () => {
    expect(redshift.createStagingTable(sales, SHAPES.truncated)).toBe(redshift.createStagingTable(sales));
    expect(redshift.createStagingTable(sales, SHAPES.partial)).toMatchInlineSnapshot(
      `"CREATE TEMP TABLE "tablelane_stage" ("salesid" BIGINT, "listid" INTEGER, "qty" INTEGER, "price" DECIMAL(8,2), "note" VARCHAR(20), "sold" TIMESTAMPTZ, "ver" BIGINT, "__tl_op" CHAR(1) NOT NULL, "__tl_keep" VARCHAR(7), "__tl_from_0" BIGINT, "__tl_from_1" INTEGER) DISTKEY ("salesid")"`,
    );
    const copy = redshift.copyFromS3(
      sales,
      's3://bucket/staging/public.sales/changes/3/1-9.csv.gz',
      {
        credentials: { kind: 'iam-role', roleArn: 'arn:aws:iam::123456789012:role/tablelane-copy' },
        gzip: true,
        manifest: false,
      },
      SHAPES.both,
    );
    expect(copy.text).toMatchInlineSnapshot(
      `"COPY "tablelane_stage" ("salesid", "listid", "qty", "price", "note", "sold", "ver", "__tl_op", "__tl_keep", "__tl_from_0", "__tl_from_1") FROM 's3://bucket/staging/public.sales/changes/3/1-9.csv.gz' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-copy' CSV NULL AS '\\\\N' TIMEFORMAT 'auto' DATEFORMAT 'auto' COMPUPDATE OFF STATUPDATE OFF GZIP"`,
    );
  });

  it('truncates a versioned table first: tombstones at the staged version, then DELETE, then the t row goes', () => {
    expect(redshift.mergeStatements(STATE, sales, SHAPES.truncated, at)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "tablelane"."public__sales__tomb" USING "public"."sales" WHERE "public__sales__tomb"."salesid" = "sales"."salesid" AND "public__sales__tomb"."listid" = "sales"."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver", "recorded_at") SELECT "sales"."salesid", "sales"."listid", "tablelane_stage"."ver", CAST('2026-11-21 09:00:00.000+00' AS TIMESTAMPTZ) FROM "public"."sales", "tablelane_stage" WHERE "tablelane_stage"."__tl_op" = 't'",
        "DELETE FROM "public"."sales"",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 't'",
        "DELETE FROM "tablelane_stage" USING "public"."sales" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid" AND "sales"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "tablelane_stage" USING "tablelane"."public__sales__tomb" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid" AND "public__sales__tomb"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "public"."sales" USING "tablelane_stage" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "public"."sales" ("salesid", "listid", "qty", "price", "note", "sold", "ver") SELECT "salesid", "listid", "qty", "price", "note", "sold", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
        "DELETE FROM "tablelane"."public__sales__tomb" USING "tablelane_stage" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver", "recorded_at") SELECT "salesid", "listid", "ver", CAST('2026-11-21 09:00:00.000+00' AS TIMESTAMPTZ) FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
      ]
    `);
  });

  it('fills kept columns from the target before the version guard, JSON read back from SUPER', () => {
    expect(redshift.mergeStatements(STATE, sales, SHAPES.partial, at)).toMatchInlineSnapshot(`
      [
        "UPDATE "tablelane_stage" SET "qty" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 3, 1) = '1' THEN "sales"."qty" ELSE "tablelane_stage"."qty" END, "price" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 4, 1) = '1' THEN "sales"."price" ELSE "tablelane_stage"."price" END, "note" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 5, 1) = '1' THEN "sales"."note" ELSE "tablelane_stage"."note" END, "sold" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 6, 1) = '1' THEN "sales"."sold" ELSE "tablelane_stage"."sold" END FROM "public"."sales" WHERE "tablelane_stage"."__tl_keep" IS NOT NULL AND "sales"."salesid" = COALESCE("tablelane_stage"."__tl_from_0", "tablelane_stage"."salesid") AND "sales"."listid" = COALESCE("tablelane_stage"."__tl_from_1", "tablelane_stage"."listid")",
        "DELETE FROM "tablelane_stage" USING "public"."sales" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid" AND "sales"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "tablelane_stage" USING "tablelane"."public__sales__tomb" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid" AND "public__sales__tomb"."ver" > "tablelane_stage"."ver"",
        "DELETE FROM "public"."sales" USING "tablelane_stage" WHERE "sales"."salesid" = "tablelane_stage"."salesid" AND "sales"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "public"."sales" ("salesid", "listid", "qty", "price", "note", "sold", "ver") SELECT "salesid", "listid", "qty", "price", "note", "sold", "ver" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
        "DELETE FROM "tablelane"."public__sales__tomb" USING "tablelane_stage" WHERE "public__sales__tomb"."salesid" = "tablelane_stage"."salesid" AND "public__sales__tomb"."listid" = "tablelane_stage"."listid"",
        "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver", "recorded_at") SELECT "salesid", "listid", "ver", CAST('2026-11-21 09:00:00.000+00' AS TIMESTAMPTZ) FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
      ]
    `);
    expect(redshift.mergeStatements(STATE, users, SHAPES.both)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users"",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 't'",
        "UPDATE "tablelane_stage" SET "email" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 2, 1) = '1' THEN "users"."email" ELSE "tablelane_stage"."email" END, "meta" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 3, 1) = '1' THEN JSON_SERIALIZE("users"."meta") ELSE "tablelane_stage"."meta" END, "score" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 4, 1) = '1' THEN "users"."score" ELSE "tablelane_stage"."score" END, "active" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 5, 1) = '1' THEN "users"."active" ELSE "tablelane_stage"."active" END, "born" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 6, 1) = '1' THEN "users"."born" ELSE "tablelane_stage"."born" END, "seen" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 7, 1) = '1' THEN "users"."seen" ELSE "tablelane_stage"."seen" END FROM "app"."users" WHERE "tablelane_stage"."__tl_keep" IS NOT NULL AND "users"."id" = COALESCE("tablelane_stage"."__tl_from_0", "tablelane_stage"."id")",
        "DELETE FROM "app"."users" USING "tablelane_stage" WHERE "users"."id" = "tablelane_stage"."id"",
        "INSERT INTO "app"."users" ("id", "email", "meta", "score", "active", "born", "seen") SELECT "id", "email", JSON_PARSE("meta"), "score", "active", "born", "seen" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
      ]
    `);
    expect(compatible.mergeStatements(STATE, users, SHAPES.partial)[0]).toMatchInlineSnapshot(
      `"UPDATE "tablelane_stage" SET "email" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 2, 1) = '1' THEN "users"."email" ELSE "tablelane_stage"."email" END, "meta" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 3, 1) = '1' THEN "users"."meta" ELSE "tablelane_stage"."meta" END, "score" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 4, 1) = '1' THEN "users"."score" ELSE "tablelane_stage"."score" END, "active" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 5, 1) = '1' THEN "users"."active" ELSE "tablelane_stage"."active" END, "born" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 6, 1) = '1' THEN "users"."born" ELSE "tablelane_stage"."born" END, "seen" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 7, 1) = '1' THEN "users"."seen" ELSE "tablelane_stage"."seen" END FROM "app"."users" WHERE "tablelane_stage"."__tl_keep" IS NOT NULL AND "users"."id" = COALESCE("tablelane_stage"."__tl_from_0", "tablelane_stage"."id")"`,
    );
  });

  it('runs the shapes before a MERGE too', () => {
    expect(merging.mergeStatements(STATE, users, SHAPES.both)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users"",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 't'",
        "UPDATE "tablelane_stage" SET "email" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 2, 1) = '1' THEN "users"."email" ELSE "tablelane_stage"."email" END, "meta" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 3, 1) = '1' THEN JSON_SERIALIZE("users"."meta") ELSE "tablelane_stage"."meta" END, "score" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 4, 1) = '1' THEN "users"."score" ELSE "tablelane_stage"."score" END, "active" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 5, 1) = '1' THEN "users"."active" ELSE "tablelane_stage"."active" END, "born" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 6, 1) = '1' THEN "users"."born" ELSE "tablelane_stage"."born" END, "seen" = CASE WHEN SUBSTRING("tablelane_stage"."__tl_keep", 7, 1) = '1' THEN "users"."seen" ELSE "tablelane_stage"."seen" END FROM "app"."users" WHERE "tablelane_stage"."__tl_keep" IS NOT NULL AND "users"."id" = COALESCE("tablelane_stage"."__tl_from_0", "tablelane_stage"."id")",
        "DELETE FROM "app"."users" USING "tablelane_stage" WHERE "users"."id" = "tablelane_stage"."id" AND "tablelane_stage"."__tl_op" = 'd'",
        "DELETE FROM "tablelane_stage" WHERE "__tl_op" = 'd'",
        "MERGE INTO "app"."users" USING "tablelane_stage" ON "users"."id" = "tablelane_stage"."id" WHEN MATCHED THEN UPDATE SET "email" = "tablelane_stage"."email", "meta" = JSON_PARSE("tablelane_stage"."meta"), "score" = "tablelane_stage"."score", "active" = "tablelane_stage"."active", "born" = "tablelane_stage"."born", "seen" = "tablelane_stage"."seen" WHEN NOT MATCHED THEN INSERT ("id", "email", "meta", "score", "active", "born", "seen") VALUES ("tablelane_stage"."id", "tablelane_stage"."email", JSON_PARSE("tablelane_stage"."meta"), "tablelane_stage"."score", "tablelane_stage"."active", "tablelane_stage"."born", "tablelane_stage"."seen")",
      ]
    `);
  });

  it("builds a merge table's snapshot tables: seen keys distributed and sorted like the target, and the runs", () => {
    expect(redshift.prepareSnapshotTables(STATE, sales)).toMatchInlineSnapshot(`
      [
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__snap" ("__tl_run" varchar(200) NOT NULL, "salesid" BIGINT NOT NULL, "listid" INTEGER NOT NULL) DISTKEY ("salesid") SORTKEY ("salesid", "listid")",
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__srun" ("run" varchar(200) NOT NULL, "state" varchar(16) NOT NULL, "begun_at" timestamptz, "ended_at" timestamptz, "rows_seen" bigint NOT NULL, "rows_expected" bigint, "total" bigint, PRIMARY KEY ("run"))",
      ]
    `);
  });

  it('marks every staged key seen once, without ON CONFLICT, before the guard', () => {
    expect(redshift.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.running, at)).toMatchInlineSnapshot(`
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
            "text": "INSERT INTO "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid") SELECT CAST($1 AS varchar(200)), "tablelane_stage"."salesid", "tablelane_stage"."listid" FROM "tablelane_stage" WHERE "tablelane_stage"."__tl_op" <> 't' AND NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__snap" WHERE "public__sales__snap"."__tl_run" = $1 AND "public__sales__snap"."salesid" = "tablelane_stage"."salesid" AND "public__sales__snap"."listid" = "tablelane_stage"."listid")",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
        ],
      }
    `);
  });

  it('ends a run after the merge: tombstones replaced first, dated by the sink, then unseen rows deleted', () => {
    expect(redshift.snapshotStatements(STATE, sales, SNAPSHOT_SHAPES.ended, at)).toMatchInlineSnapshot(`
      {
        "afterMerge": [
          {
            "text": "DELETE FROM "tablelane"."public__sales__tomb" USING "public"."sales" WHERE "public__sales__tomb"."salesid" = "sales"."salesid" AND "public__sales__tomb"."listid" = "sales"."listid" AND NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__snap" WHERE "public__sales__snap"."__tl_run" = $1 AND "public__sales__snap"."salesid" = "sales"."salesid" AND "public__sales__snap"."listid" = "sales"."listid")",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
          {
            "text": "INSERT INTO "tablelane"."public__sales__tomb" ("salesid", "listid", "ver", "recorded_at") SELECT "sales"."salesid", "sales"."listid", "sales"."ver", CAST($2 AS TIMESTAMPTZ) FROM "public"."sales" WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__snap" WHERE "public__sales__snap"."__tl_run" = $1 AND "public__sales__snap"."salesid" = "sales"."salesid" AND "public__sales__snap"."listid" = "sales"."listid")",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
              2026-11-21T09:00:00.000Z,
            ],
          },
          {
            "text": "DELETE FROM "public"."sales" WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__snap" WHERE "public__sales__snap"."__tl_run" = $1 AND "public__sales__snap"."salesid" = "sales"."salesid" AND "public__sales__snap"."listid" = "sales"."listid")",
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
              2026-11-21T09:00:00.000Z,
              200,
              1200,
            ],
          },
        ],
        "beforeMerge": [
          {
            "text": "INSERT INTO "tablelane"."public__sales__snap" ("__tl_run", "salesid", "listid") SELECT CAST($1 AS varchar(200)), "tablelane_stage"."salesid", "tablelane_stage"."listid" FROM "tablelane_stage" WHERE "tablelane_stage"."__tl_op" <> 't' AND NOT EXISTS (SELECT 1 FROM "tablelane"."public__sales__snap" WHERE "public__sales__snap"."__tl_run" = $1 AND "public__sales__snap"."salesid" = "tablelane_stage"."salesid" AND "public__sales__snap"."listid" = "tablelane_stage"."listid")",
            "values": [
              "public.sales@20261201T100000Z-ab12cd",
            ],
          },
        ],
      }
    `);
    expect(
      redshift.snapshotStatements(STATE, users, { ...SNAPSHOT_SHAPES.ended, run: 'r1' }, at).afterMerge[0],
    ).toMatchInlineSnapshot(`
      {
        "text": "DELETE FROM "app"."users" WHERE NOT EXISTS (SELECT 1 FROM "tablelane"."app__users__snap" WHERE "app__users__snap"."__tl_run" = $1 AND "app__users__snap"."id" = "users"."id")",
        "values": [
          "r1",
        ],
      }
    `);
  });

  it('locks every touched table in one sorted order', () => {
    expect(redshift.lockTables(STATE, sales)).toMatchInlineSnapshot(
      `"LOCK TABLE "public"."sales", "tablelane"."public__sales__ckpt", "tablelane"."public__sales__tomb""`,
    );
    expect(redshift.lockTables('a_state', users)).toMatchInlineSnapshot(
      `"LOCK TABLE "a_state"."app__users__ckpt", "app"."users""`,
    );
  });

  it('bounds lock waits with a statement timeout', () => {
    expect(redshift.lockTimeout(2000)).toMatchInlineSnapshot(`"SET statement_timeout TO 2000"`);
    expect(redshift.statementTimeout(0)).toMatchInlineSnapshot(`"SET statement_timeout TO 0"`);
    expect(() => redshift.statementTimeout(1.5)).toThrow(/whole number/);
    // Redshift has no random_page_cost: its planner settings stay its own.
    expect(redshift.plannerSettings()).toEqual([]);
  });

  it('finds blockers in SVV_TRANSACTIONS, or in pg_locks in the compatible mode', () => {
    expect(redshift.findBlockers(STATE, sales, false)).toMatchInlineSnapshot(`
      {
        "text": "SELECT t.pid, t.txn_owner AS "user", NULL AS application, NULL AS client, NULL AS state, DATEDIFF(second, t.txn_start, GETDATE())::float8 AS transaction_age_seconds, TRIM(r.query) AS query, n.nspname || '.' || c.relname AS relation, t.lock_mode AS mode FROM svv_transactions t JOIN pg_class c ON c.oid = t.relation JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN stv_recents r ON r.pid = t.pid AND r.status = 'Running' WHERE t.granted AND t.lockable_object_type = 'relation' AND t.pid <> pg_backend_pid() AND n.nspname || '.' || c.relname IN ($1, $2, $3) AND t.lock_mode IN ($4, $5) ORDER BY t.txn_start, t.pid",
        "values": [
          "public.sales",
          "tablelane.public__sales__ckpt",
          "tablelane.public__sales__tomb",
          "ShareRowExclusiveLock",
          "AccessExclusiveLock",
        ],
      }
    `);
    expect(redshift.findBlockers(STATE, users, true).values).toMatchInlineSnapshot(`
      [
        "app.users",
        "tablelane.app__users__ckpt",
        "AccessShareLock",
        "ShareRowExclusiveLock",
        "AccessExclusiveLock",
      ]
    `);
    expect(compatible.findBlockers(STATE, users, false).text).toContain('pg_locks');
  });

  it('refuses a target named like the staging table', () => {
    const [odd] = parseConfig({
      tables: [{ name: 'app.tablelane_stage', columns: { id: 'bigint' }, primaryKey: ['id'] }],
    }).tables;
    expect(() => redshift.mergeStatements(STATE, odd!)).toThrow(/reserved/);
  });
});

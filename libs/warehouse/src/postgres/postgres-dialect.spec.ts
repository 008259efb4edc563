import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { CheckpointNotAdvancing } from '../errors';
import { PostgresDialect } from './postgres-dialect';

const { tables } = parseConfig({
  tables: [
    {
      name: 'public.sales',
      columns: {
        salesid: 'bigint',
        listid: 'integer',
        qty: 'integer',
        price: 'numeric(8,2)',
        note: 'varchar(20)',
        ver: 'bigint',
      },
      primaryKey: ['salesid', 'listid'],
      version: 'ver',
    },
    { name: 'app.users', columns: { id: 'bigint', email: 'text', meta: 'json' }, primaryKey: ['id'] },
    { name: 'app.clicks', mode: 'append', columns: { at: 'timestamptz', url: 'text' } },
  ],
});
const [sales, users, clicks] = tables as [(typeof tables)[0], (typeof tables)[0], (typeof tables)[0]];
const dialect = new PostgresDialect();

describe('PostgresDialect golden SQL', () => {
  it('creates schemas and target tables from contracts', () => {
    expect(dialect.createSchema('tablelane')).toMatchInlineSnapshot(
      `"CREATE SCHEMA IF NOT EXISTS "tablelane""`,
    );
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

  it('adds a column and lists columns with parameters', () => {
    expect(dialect.addColumn(users, { name: 'age', type: { kind: 'integer' } })).toMatchInlineSnapshot(
      `"ALTER TABLE "app"."users" ADD COLUMN IF NOT EXISTS "age" integer"`,
    );
    expect(dialect.listColumns(users)).toMatchInlineSnapshot(`
      {
        "text": "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
        "values": [
          "app",
          "users",
        ],
      }
    `);
  });

  it('builds per-table checkpoint and tombstone tables', () => {
    expect(dialect.createCheckpointTable('tablelane', sales)).toMatchInlineSnapshot(
      `"CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__ckpt" (topic varchar(249) NOT NULL, partition integer NOT NULL, last_offset bigint NOT NULL, epoch bigint NOT NULL, owner varchar(256), claimed_at timestamptz, committed_at timestamptz, PRIMARY KEY (topic, partition))"`,
    );
    expect(dialect.prepareTombstoneTable('tablelane', sales)).toMatchInlineSnapshot(`
      [
        "CREATE TABLE IF NOT EXISTS "tablelane"."public__sales__tomb" ("salesid" bigint, "listid" integer, "ver" bigint, "recorded_at" timestamptz NOT NULL DEFAULT now())",
        "ALTER TABLE "tablelane"."public__sales__tomb" ADD COLUMN IF NOT EXISTS "recorded_at" timestamptz NOT NULL DEFAULT now()",
        "DELETE FROM "tablelane"."public__sales__tomb" a USING "tablelane"."public__sales__tomb" b WHERE a."salesid" = b."salesid" AND a."listid" = b."listid" AND (a."ver" < b."ver" OR (a."ver" IS NOT DISTINCT FROM b."ver" AND a.ctid < b.ctid)) AND to_regclass('"tablelane"."public__sales__tkey"') IS NULL",
        "CREATE UNIQUE INDEX IF NOT EXISTS "public__sales__tkey" ON "tablelane"."public__sales__tomb" ("salesid", "listid")",
      ]
    `);
  });

  it('claims and advances checkpoints as compare-and-set', () => {
    expect(dialect.initCheckpoint('tablelane', sales, 'tablelane.changes', 3)).toMatchInlineSnapshot(`
      {
        "text": "INSERT INTO "tablelane"."public__sales__ckpt" (topic, partition, last_offset, epoch) VALUES ($1, $2, -1, 0) ON CONFLICT (topic, partition) DO NOTHING",
        "values": [
          "tablelane.changes",
          3,
        ],
      }
    `);
    expect(dialect.claimCheckpoint('tablelane', sales, 'tablelane.changes', 3, 'sink-1'))
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
    expect(
      dialect.advanceCheckpoint('tablelane', sales, {
        topic: 'tablelane.changes',
        partition: 3,
        epoch: 4,
        previousOffset: 99,
        nextOffset: 180,
      }),
    ).toMatchInlineSnapshot(`
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
    expect(dialect.readCheckpoints('tablelane', sales)).toMatchInlineSnapshot(
      `"SELECT topic, partition, last_offset, epoch, owner, claimed_at, committed_at FROM "tablelane"."public__sales__ckpt" ORDER BY topic, partition"`,
    );
  });

  it('refuses to build a compare-and-set that would not move the checkpoint forward', () => {
    const cas = { topic: 'tablelane.changes', partition: 3, epoch: 4, previousOffset: 180 };
    expect(() => dialect.advanceCheckpoint('tablelane', sales, { ...cas, nextOffset: 180 })).toThrow(
      CheckpointNotAdvancing,
    );
    expect(() => dialect.advanceCheckpoint('tablelane', sales, { ...cas, nextOffset: 99 })).toThrow(
      /strictly forward/,
    );
  });

  it('reads one lane back after a missed compare-and-set', () => {
    expect(dialect.readClaim('tablelane', sales, 'tablelane.changes', 3)).toMatchInlineSnapshot(`
      {
        "text": "SELECT last_offset, epoch FROM "tablelane"."public__sales__ckpt" WHERE topic = $1 AND partition = $2",
        "values": [
          "tablelane.changes",
          3,
        ],
      }
    `);
  });

  it('prunes tombstones older than the retention, by the warehouse clock', () => {
    expect(dialect.pruneTombstones('tablelane', sales, 604_800_000)).toMatchInlineSnapshot(`
      {
        "text": "DELETE FROM "tablelane"."public__sales__tomb" WHERE "recorded_at" < now() - $1::float8 * interval '1 millisecond'",
        "values": [
          604800000,
        ],
      }
    `);
  });

  it('finds state tables and copies a legacy-named one into its current name', () => {
    const [ambiguous] = parseConfig({
      tables: [
        {
          name: 'sales__eu.orders',
          columns: { id: 'bigint', ver: 'bigint' },
          primaryKey: ['id'],
          version: 'ver',
        },
      ],
    }).tables as [(typeof tables)[0]];
    expect(dialect.stateTableExists('tablelane', 'public__sales__ckpt')).toMatchInlineSnapshot(`
      {
        "text": "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
        "values": [
          "tablelane",
          "public__sales__ckpt",
        ],
      }
    `);
    expect(
      dialect.copyLegacyState('tablelane', ambiguous, 'checkpoint', 'sales__eu__orders__ckpt'),
    ).toMatchInlineSnapshot(
      `"INSERT INTO "tablelane"."sales__eu__orders___080d04b98e42__ckpt" (topic, partition, last_offset, epoch, owner, claimed_at, committed_at) SELECT topic, partition, last_offset, epoch, owner, claimed_at, committed_at FROM "tablelane"."sales__eu__orders__ckpt""`,
    );
    expect(
      dialect.copyLegacyState('tablelane', ambiguous, 'tombstone', 'sales__eu__orders__tomb'),
    ).toMatchInlineSnapshot(
      `"INSERT INTO "tablelane"."sales__eu__orders___080d04b98e42__tomb" ("id", "ver") SELECT "id", "ver" FROM "tablelane"."sales__eu__orders__tomb""`,
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
    expect(dialect.mergeStatements('tablelane', sales)).toMatchInlineSnapshot(`
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
    expect(dialect.prepareTombstoneTable('tablelane', users)).toEqual([]);
    expect(dialect.mergeStatements('tablelane', users)).toMatchInlineSnapshot(`
      [
        "DELETE FROM "app"."users" t USING "tablelane_stage" s WHERE t."id" = s."id"",
        "INSERT INTO "app"."users" ("id", "email", "meta") SELECT "id", "email", "meta" FROM "tablelane_stage" WHERE "__tl_op" = 'u'",
      ]
    `);
    expect(dialect.mergeStatements('tablelane', clicks)).toMatchInlineSnapshot(`
      [
        "INSERT INTO "app"."clicks" ("at", "url") SELECT "at", "url" FROM "tablelane_stage"",
      ]
    `);
  });

  it('reads touched tables and sets the lock timeout', () => {
    expect(dialect.readTouchedTables('tablelane', sales)).toMatchInlineSnapshot(`
      [
        "SELECT count(*) FROM "public"."sales"",
        "SELECT count(*) FROM "tablelane"."public__sales__ckpt"",
        "SELECT count(*) FROM "tablelane"."public__sales__tomb"",
      ]
    `);
    expect(dialect.lockTimeout(2000)).toMatchInlineSnapshot(`"SET LOCAL lock_timeout = '2000ms'"`);
    expect(() => dialect.lockTimeout(1.5)).toThrow(/whole number/);
  });
});

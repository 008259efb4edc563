import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { unloadSelect, unloadStatement, type UnloadRequest } from './redshift-unload';

const [contract] = parseConfig({
  tables: [{ name: 'app.items', columns: { id: 'bigint', name: 'text', attrs: 'json' }, primaryKey: ['id'] }],
}).tables;

const request = (overrides: Partial<UnloadRequest> = {}): UnloadRequest => ({
  contract: contract!,
  from: { schema: 'app', table: 'items' },
  to: 's3://tablelane-staging/snapshots/app.items/20260131T120000Z-a1b2c3/',
  credentials: { kind: 'iam-role', roleArn: 'arn:aws:iam::123456789012:role/tablelane-unload' },
  maxFileSizeMb: 256,
  ...overrides,
});

describe('Redshift UNLOAD of a snapshot', () => {
  it('unloads the contract columns and their NULL flags as gzip CSV with a header and a verbose manifest', () => {
    expect(unloadStatement(request()).text).toMatchInlineSnapshot(
      `"UNLOAD ('SELECT "id", "name", "attrs", CASE WHEN "id" IS NULL THEN ''1'' ELSE ''0'' END || CASE WHEN "name" IS NULL THEN ''1'' ELSE ''0'' END || CASE WHEN "attrs" IS NULL THEN ''1'' ELSE ''0'' END AS "__tl_nulls" FROM "app"."items"') TO 's3://tablelane-staging/snapshots/app.items/20260131T120000Z-a1b2c3/' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-unload' FORMAT AS CSV HEADER MANIFEST VERBOSE GZIP ALLOWOVERWRITE PARALLEL ON MAXFILESIZE 256 MB"`,
    );
  });

  it('wraps a query, doubling its quotes and backslashes inside the literal, and adds REGION', () => {
    const statement = unloadStatement(
      request({
        from: { query: "SELECT * FROM app.items WHERE name <> 'it''s' AND name NOT LIKE 'a\\_%'" },
        region: 'eu-west-1',
      }),
    );
    expect(statement.text).toMatchInlineSnapshot(
      `"UNLOAD ('SELECT "id", "name", "attrs", CASE WHEN "id" IS NULL THEN ''1'' ELSE ''0'' END || CASE WHEN "name" IS NULL THEN ''1'' ELSE ''0'' END || CASE WHEN "attrs" IS NULL THEN ''1'' ELSE ''0'' END AS "__tl_nulls" FROM (SELECT * FROM app.items WHERE name <> ''it''''s'' AND name NOT LIKE ''a\\\\_%'') AS "snapshot_source"') TO 's3://tablelane-staging/snapshots/app.items/20260131T120000Z-a1b2c3/' IAM_ROLE 'arn:aws:iam::123456789012:role/tablelane-unload' FORMAT AS CSV HEADER MANIFEST VERBOSE GZIP ALLOWOVERWRITE PARALLEL ON MAXFILESIZE 256 MB REGION 'eu-west-1'"`,
    );
    // The role is no secret: the statement is logged as sent.
    expect(statement.redacted).toBe(statement.text);
  });

  it('refuses what would not be safe or would not run', () => {
    expect(() => unloadSelect(contract!, { query: 'SELECT *\nFROM app.items' })).toThrow(/one line/);
    expect(() => unloadStatement(request({ to: "s3://bucket/x'; --/" }))).toThrow(/invalid S3 folder/);
    expect(() => unloadStatement(request({ to: 's3://tablelane-staging/no-slash' }))).toThrow(/S3 folder/);
    expect(() => unloadStatement(request({ region: "us-east-1' --" }))).toThrow(/region/);
    expect(() => unloadStatement(request({ maxFileSizeMb: 4 }))).toThrow(/MAXFILESIZE/);
    expect(() =>
      unloadStatement(request({ credentials: { kind: 'iam-role', roleArn: "arn:aws:iam::1:role/x'" } })),
    ).toThrow(/ARN/);
    expect(() =>
      unloadStatement(
        request({
          credentials: { kind: 'access-keys', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 's' },
        }),
      ),
    ).toThrow(/REDSHIFT_IAM_ROLE/);
  });
});

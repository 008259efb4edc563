import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { auroraImportQuery, importedRowCount } from './aurora-s3-import';

const [items] = parseConfig({
  tables: [{ name: 'app.items', columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] }],
}).tables;
const uri = 's3://tablelane/staging/app.items/changes/0/00000000000000000001-00000000000000000009.csv';

describe('Aurora PostgreSQL load with aws_s3.table_import_from_s3', () => {
  it('imports into the staging table with the cluster role, every argument a parameter', () => {
    expect(auroraImportQuery(items!, uri, { region: 'eu-west-1' })).toMatchInlineSnapshot(`
      {
        "text": "SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6)) AS result",
        "values": [
          "tablelane_stage",
          ""id", "val", "__tl_op"",
          "(FORMAT csv, NULL '\\N')",
          "tablelane",
          "staging/app.items/changes/0/00000000000000000001-00000000000000000009.csv",
          "eu-west-1",
        ],
      }
    `);
  });

  it('passes keys as parameters, never in the SQL text', () => {
    const query = auroraImportQuery(items!, uri, {
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
    });
    expect(query.text).toMatchInlineSnapshot(
      `"SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6), aws_commons.create_aws_credentials($7, $8, $9)) AS result"`,
    );
    expect(query.text).not.toMatch(/AKIA|secret/);
    expect(query.values.slice(6)).toEqual(['AKIAIOSFODNN7EXAMPLE', 'secret', '']);
  });

  it('reads the imported row count from the answer', () => {
    expect(importedRowCount('3 rows imported into relation "tablelane_stage" from file k of 120 bytes')).toBe(
      3,
    );
    expect(importedRowCount('1 row imported into relation "tablelane_stage" from file k of 9 bytes')).toBe(1);
    expect(() => importedRowCount('oops')).toThrow(/unexpected answer/);
  });
});

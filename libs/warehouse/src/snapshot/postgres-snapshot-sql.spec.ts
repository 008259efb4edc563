import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { postgresLiteral } from './postgres-literal';
import { copyToStdout, countRows, snapshotChunkSelect, snapshotRelation } from './postgres-snapshot-sql';

const [contract] = parseConfig({
  tables: [
    {
      name: 'app.order_lines',
      columns: { order_id: 'bigint', line: 'varchar(20)', price: 'numeric(10,2)', at: 'timestamptz' },
      primaryKey: ['order_id', 'line'],
    },
  ],
}).tables;

describe('PostgreSQL snapshot SQL', () => {
  it('reads the first chunk of a table in key order', () => {
    expect(
      copyToStdout(snapshotChunkSelect(contract!, { schema: 'app', table: 'order_lines' }, undefined, 10000)),
    ).toMatchInlineSnapshot(
      `"COPY (SELECT "order_id", "line", "price", "at" FROM "app"."order_lines" ORDER BY "order_id", "line" LIMIT 10000) TO STDOUT"`,
    );
  });

  it('continues after the last key, as literals cast to unbounded types', () => {
    expect(
      snapshotChunkSelect(contract!, { schema: 'src', table: 'lines' }, ['42', "it's"], 500),
    ).toMatchInlineSnapshot(
      `"SELECT "order_id", "line", "price", "at" FROM "src"."lines" WHERE ("order_id", "line") > ('42'::bigint, 'it''s'::text) ORDER BY "order_id", "line" LIMIT 500"`,
    );
  });

  it('wraps a query as a subquery on lines of its own, so a trailing comment cannot swallow the rest', () => {
    const from = { query: 'SELECT * FROM app.lines WHERE NOT deleted -- live rows' };
    expect(snapshotRelation(from)).toBe(
      '(\nSELECT * FROM app.lines WHERE NOT deleted -- live rows\n) AS "snapshot_source"',
    );
    expect(snapshotChunkSelect(contract!, from, ['7', 'a'], 10)).toMatchInlineSnapshot(`
      "SELECT "order_id", "line", "price", "at" FROM (
      SELECT * FROM app.lines WHERE NOT deleted -- live rows
      ) AS "snapshot_source" WHERE ("order_id", "line") > ('7'::bigint, 'a'::text) ORDER BY "order_id", "line" LIMIT 10"
    `);
    expect(countRows({ schema: 'app', table: 'lines' })).toBe('SELECT count(*) AS rows FROM "app"."lines"');
  });

  it('refuses identifiers that did not pass the contracts rules', () => {
    expect(() => snapshotRelation({ schema: 'app"; drop', table: 'x' })).toThrow(/refusing to quote/);
  });
});

describe('postgresLiteral', () => {
  it('doubles quotes and leaves backslashes alone (standard_conforming_strings is on)', () => {
    expect(postgresLiteral("O'Brien")).toBe("'O''Brien'");
    expect(postgresLiteral("''")).toBe("''''''");
    expect(postgresLiteral('a\\b\\N')).toBe("'a\\b\\N'");
    expect(postgresLiteral('line\nbreak ☃')).toBe("'line\nbreak ☃'");
    expect(postgresLiteral('')).toBe("''");
  });

  it('refuses NUL, which no PostgreSQL string holds', () => {
    expect(() => postgresLiteral('a\u0000b')).toThrow(/NUL/);
  });
});

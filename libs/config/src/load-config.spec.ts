import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { parseConfig } from './load-config';

const sales = {
  name: 'public.sales',
  columns: { salesid: 'bigint', listid: 'integer', qty: 'integer', price: 'numeric(8,2)', updated: 'bigint' },
  primaryKey: ['salesid', 'listid'],
  version: 'updated',
};

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('parseConfig', () => {
  it('accepts a valid contract and fills defaults', () => {
    const config = parseConfig({ tables: [sales] });
    const table = config.tables[0]!;
    expect(table).toMatchObject({ schema: 'public', table: 'sales', mode: 'merge', version: 'updated' });
    expect(table.columns.map((c) => c.name)).toEqual(['salesid', 'listid', 'qty', 'price', 'updated']);
    expect(table.columns[3]!.type).toEqual({ kind: 'numeric', precision: 8, scale: 2 });
    expect(table.flush.maxAgeMs).toBe(1000);
    expect(config.topics).toEqual({
      ingest: 'tablelane.ingest',
      changes: 'tablelane.changes',
      dlq: 'tablelane.dlq',
    });
  });

  it('rejects an unknown type and lists the supported ones', () => {
    const [problem] = problemsOf({ tables: [{ ...sales, columns: { ...sales.columns, qty: 'tinyblob' } }] });
    expect(problem).toContain('unknown type "tinyblob"');
    expect(problem).toContain('supported types: text, varchar(n)');
  });

  it('requires a primary key for merge tables and says how to fix it', () => {
    const [problem] = problemsOf({ tables: [{ ...sales, primaryKey: undefined, version: undefined }] });
    expect(problem).toContain('primaryKey is required for merge tables');
    expect(problem).toContain('mode: append');
  });

  it('accepts append tables without a primary key', () => {
    expect(
      parseConfig({ tables: [{ name: 'public.clicks', mode: 'append', columns: { url: 'text' } }] })
        .tables[0]!.mode,
    ).toBe('append');
  });

  it.each([
    ['a quote in a table name', { ...sales, name: 'public.sa"les' }],
    ['a semicolon in a table name', { ...sales, name: 'public.sales;drop' }],
    [
      'a quote in a column name',
      { ...sales, columns: { 'sales"id': 'bigint' }, primaryKey: ['sales"id'], version: undefined },
    ],
    ['a semicolon in a schema name', { ...sales, name: 'pub;lic.sales' }],
  ])('rejects %s as an identifier', (_what, table) => {
    expect(problemsOf({ tables: [table] }).join('\n')).toContain('is not a valid identifier');
  });

  it('rejects a table declared twice', () => {
    expect(problemsOf({ tables: [sales, sales] })).toEqual([
      'tables[1]: table public.sales is declared twice; merge the two entries into one',
    ]);
  });

  it('rejects a primary key or version column that is not declared', () => {
    const problems = problemsOf({ tables: [{ ...sales, primaryKey: ['nope'], version: 'missing' }] });
    expect(problems).toContain('table "public.sales": primary key column "nope" is not one of its columns');
    expect(problems).toContain('table "public.sales": version column "missing" is not one of its columns');
  });

  it('collects every problem before failing', () => {
    const problems = problemsOf({ warehouse: { kind: 'oracle' }, tables: [{ ...sales, name: 'sales' }] });
    expect(problems).toHaveLength(2);
  });

  it('rejects a name without schema', () => {
    expect(problemsOf({ tables: [{ ...sales, name: 'sales' }] })[0]).toContain(
      'must be written schema.table',
    );
  });
});

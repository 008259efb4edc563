import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from './config-error';
import { ContractSource } from './contract-source';

const table = (columns: Record<string, string>) => ({ name: 'public.t', columns, primaryKey: ['id'] });

function contractFile(tables: object[], extra: object = {}) {
  const path = join(mkdtempSync(join(tmpdir(), 'contracts-')), 'tablelane.yaml');
  const write = (next: object[], more: object = extra) =>
    writeFileSync(path, stringify({ ...more, tables: next }));
  write(tables);
  return { path, write };
}

describe('ContractSource', () => {
  it('reloads the tables when the file changes and names the tables that changed', () => {
    const file = contractFile([table({ id: 'bigint' })]);
    const source = new ContractSource(file.path);
    expect(source.reload()).toBeUndefined();
    file.write([table({ id: 'bigint', note: 'text' }), { ...table({ id: 'bigint' }), name: 'public.u' }]);
    const reload = source.reload()!;
    expect(reload.changedTables).toEqual(['public.t', 'public.u']);
    expect(
      source
        .current()
        .tables.find((t) => t.name === 'public.t')!
        .columns.map((c) => c.name),
    ).toEqual(['id', 'note']);
    expect(source.reload()).toBeUndefined();
  });

  it('keeps the contracts in force when the new file does not validate, and says why', () => {
    const file = contractFile([table({ id: 'bigint' })]);
    const source = new ContractSource(file.path);
    file.write([table({ id: 'no-such-type' })]);
    expect(() => source.reload()).toThrow(ConfigError);
    expect(source.current().tables[0]!.columns[0]!.type.kind).toBe('bigint');
  });

  it('reloads only tables: topics and warehouse settings need a restart', () => {
    const file = contractFile([table({ id: 'bigint' })], { topics: { changes: 'before' } });
    const source = new ContractSource(file.path);
    file.write([table({ id: 'bigint', note: 'text' })], { topics: { changes: 'after' } });
    source.reload();
    expect(source.current().topics.changes).toBe('before');
  });

  it('reloads a table whose transforms changed, carrying them as written', () => {
    const file = contractFile([table({ id: 'bigint' })]);
    const source = new ContractSource(file.path);
    file.write([{ ...table({ id: 'bigint' }), transforms: [{ drop: ['debug'] }] }]);
    expect(source.reload()?.changedTables).toEqual(['public.t']);
    expect(source.current().tables[0]!.transforms).toEqual([{ drop: ['debug'] }]);
  });
});

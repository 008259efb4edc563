import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT } from './environment';
import { fileSettings, renderSettingsReference } from './settings-reference';

const ROOT = join(__dirname, '../../..');
const doc = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');

/** The text between `<!-- begin NAME -->` and `<!-- end NAME -->` in the doc. */
const section = (name: string) =>
  doc.split(`<!-- begin ${name} -->\n`)[1]?.split(`\n<!-- end ${name} -->`)[0];
const keysIn = (table: string | undefined) =>
  [...(table ?? '').matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.(spec|test)\.ts$/.test(name) ? [path] : [];
  });
}

describe('docs/configuration.md', () => {
  it('lists every key of the table file schema, and no other', () => {
    expect(keysIn(section('table-file'))).toEqual(fileSettings().map((s) => s.key));
  });

  it('lists every declared environment variable, and no other', () => {
    expect(keysIn(section('environment'))).toEqual(ENVIRONMENT.map((v) => v.name));
  });

  it('says what the schema says (type, default, meaning); regenerate the tables from renderSettingsReference()', () => {
    const expected = renderSettingsReference();
    expect(section('table-file')).toBe(expected.tableFile);
    expect(section('environment')).toBe(expected.environment);
  });

  it('declares every environment variable the apps and libs read', () => {
    const declared = new Set(ENVIRONMENT.map((v) => v.name));
    const read = new Set(
      ['apps', 'libs']
        .flatMap((dir) => sourceFiles(join(ROOT, dir)))
        .flatMap((file) =>
          [...readFileSync(file, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!),
        ),
    );
    expect([...read].filter((name) => !declared.has(name))).toEqual([]);
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT, ENVIRONMENT_NAMES } from './environment';
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

/** Variables a file reads by name: `env.NAME`, `process.env.NAME`, `env['NAME']`. */
const namesReadIn = (text: string) =>
  [...text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\])/g)].map(
    (m) => (m[1] ?? m[2])!,
  );

/** Every source file of apps/ and libs/ (outside specs), by its path from the repository root. */
const sources = () =>
  ['apps', 'libs']
    .flatMap((dir) => sourceFiles(join(ROOT, dir)))
    .map((file) => ({ file: relative(ROOT, file), names: namesReadIn(readFileSync(file, 'utf8')) }));

/**
 * The reads of variables outside libs/config, file by file: only TABLELANE_FAULTS, a test-only
 * switch of the sink's fault points. Add nothing here: read a new variable through
 * environment.schema.ts and an accessor.
 */
const READ_OUTSIDE_CONFIG: Record<string, readonly string[]> = {
  'apps/sink/src/flush/fault-points.ts': ['TABLELANE_FAULTS'],
};

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

  it('declares every environment variable the apps and libs read (a secret also as <NAME>_FILE)', () => {
    const declared = ENVIRONMENT_NAMES;
    const read = new Set(sources().flatMap((source) => source.names));
    expect([...read].filter((name) => !declared.has(name))).toEqual([]);
  });

  it('has the variables read by libs/config alone, through its schema and accessors', () => {
    const elsewhere = sources()
      .filter(({ file }) => !file.startsWith('libs/config/'))
      .flatMap(({ file, names }) =>
        names.filter((name) => !READ_OUTSIDE_CONFIG[file]?.includes(name)).map((name) => `${file}: ${name}`),
      );
    expect(elsewhere).toEqual([]);
  });

  it('finds reads in every form the code spells them', () => {
    expect(
      namesReadIn("process.env.PORT; env.HOST ?? x; env['LOG_LEVEL']; env[name]; environment.X; myenv.Y"),
    ).toEqual(['PORT', 'HOST', 'LOG_LEVEL']);
  });
});

import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The conventions of docs/conventions.md that eslint.config.mjs enforces (npm run lint), each
// proven here by files it rejects and files it passes.
const FILE_NAME = 'tablelane/file-name';
const TEST_IMPORTS = 'tablelane/test-imports';
const APP_ALIAS = 'tablelane/app-alias';
const TOKENS = 'no-restricted-syntax';

const root = resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** A file at a path (from the repository root) with its source; a clean module by default. */
type Case = [path: string, source?: string];
const module = (...lines: string[]) => [...lines, ''].join('\n');

/** Each case's path with the ids of the rules that reject it, in the order ESLint reports them. */
function verdicts(cases: Case[]): Promise<[string, string[]][]> {
  return Promise.all(
    cases.map(async ([path, source = module('export const value = 1;')]) => {
      const [result] = await eslint.lintText(source, { filePath: resolve(root, path) });
      return [path, result!.messages.map((m) => m.ruleId ?? m.message)] as [string, string[]];
    }),
  );
}

/** What `verdicts` gives when every case is rejected by exactly `rules`. */
const each = (cases: Case[], rules: string[]) => cases.map(([path]) => [path, rules]);

describe('conventions in eslint.config.mjs (npm run lint)', () => {
  it('rejects file names that are not kebab-case with an optional known role', async () => {
    const misnamed: Case[] = [
      ['apps/sink/src/lane/tableLane.ts'],
      ['libs/warehouse/src/pg_session.ts'],
      ['apps/sink/src/lane/Lane.ts'],
      ['apps/sink/src/lane/lane.helper.ts'],
      ['libs/kafka/src/kafka--client.ts'],
      ['test/support/csv.util.test.ts'],
    ];
    expect(await verdicts(misnamed)).toEqual(each(misnamed, [FILE_NAME]));
  });

  it('passes kebab-case names, with a role, a .spec or .test, or both', async () => {
    const named: Case[] = [
      ['apps/sink/src/lane/table-lane.ts'],
      ['apps/producer/src/ingest/ingest.service.spec.ts'],
      ['apps/router/src/lanes/lane-baseline.store.ts'],
      ['libs/staging/src/object-store.port.ts'],
      ['libs/config/src/table-file.schema.ts'],
      ['test/sink/crash.test.ts'],
      ['scripts/bench/svg-chart.ts'],
    ];
    expect(await verdicts(named)).toEqual(each(named, []));
  });

  it('keeps DI tokens in the one apps/<app>/src/<app>.tokens.ts of each app', async () => {
    const token = module("export const HEALTH = Symbol('HEALTH');");
    expect(
      await verdicts([
        // Beside a feature, a tokens file is misnamed and its tokens are outside the app's file.
        ['apps/sink/src/health/health.tokens.ts', token],
        ['apps/router/src/sink.tokens.ts', token],
        ['apps/sink/src/health/sink-health.ts', token],
        ['apps/sink/src/sink.tokens.ts', token],
        // A symbol the module keeps to itself is no DI token.
        [
          'apps/sink/src/health/sink-health.ts',
          module("const key = Symbol('key');", 'export const read = (o: Record<symbol, number>) => o[key];'),
        ],
      ]),
    ).toEqual([
      ['apps/sink/src/health/health.tokens.ts', [FILE_NAME, TOKENS]],
      ['apps/router/src/sink.tokens.ts', [FILE_NAME]],
      ['apps/sink/src/health/sink-health.ts', [TOKENS]],
      ['apps/sink/src/sink.tokens.ts', []],
      ['apps/sink/src/health/sink-health.ts', []],
    ]);
  });

  it('rejects a test that imports a lib or an app by relative path, however it imports', async () => {
    const relative: Case[] = [
      [
        'test/sink/a.test.ts',
        module("import { STAGING_TABLE as t } from '../../libs/warehouse/src/dialect';", 'export { t };'),
      ],
      [
        'test/sink/b.test.ts',
        module("import { reduceBatch as r } from '../../apps/sink/src/lane/reduce-batch';", 'export { r };'),
      ],
      ['test/sink/c.test.ts', module("export * from '../../libs/config/src/index';")],
      ['test/sink/d.test.ts', module("export const load = () => import('../../apps/cli/src/cli-args');")],
      // From an area's support folder, one level deeper.
      ['test/router/support/e.ts', module("export { quoteIdent } from '../../../libs/warehouse/src/quote';")],
    ];
    expect(await verdicts(relative)).toEqual(each(relative, [TEST_IMPORTS]));
  });

  it('passes a test that imports through @app/* and its own support by relative path', async () => {
    const aliased = module(
      "import { STAGING_TABLE } from '@app/warehouse';",
      "import { reduceBatch } from '@app/sink/lane/reduce-batch';",
      "import { freePort } from '../support/ports';",
      'export const all = [STAGING_TABLE, reduceBatch, freePort];',
    );
    expect(await verdicts([['test/sink/new-suite.test.ts', aliased]])).toEqual([
      ['test/sink/new-suite.test.ts', []],
    ]);
  });

  it('rejects @app/<app>/* outside tests: in libs, in another app, in the app itself, in scripts', async () => {
    const source = module("export { reduceBatch } from '@app/sink/lane/reduce-batch';");
    const outside: Case[] = [
      ['libs/kafka/src/new-module.ts', source],
      ['apps/router/src/routing/new-module.ts', source],
      ['apps/sink/src/flush/new-module.ts', source],
      ['scripts/bench/new-module.ts', source],
    ];
    expect(await verdicts(outside)).toEqual(each(outside, [APP_ALIAS]));
  });
});

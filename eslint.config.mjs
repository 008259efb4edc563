import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Dependency rules (docs/architecture.md): scripts use apps, apps use libs, never the reverse;
// one lib owns each external client. ESLint keeps one set of options per rule and file (a later
// block replaces an earlier one), so every block below states all the restrictions of its files.
const APPS = ['cli', 'producer', 'router', 'sink'];

const KAFKA_CLIENT = {
  regex: '^(kafkajs|@kafkajs/confluent-schema-registry)(/|$)',
  message: 'Only libs/kafka may import the Kafka client; use what @app/kafka exports.',
};
const PG_CLIENT = {
  regex: '^(pg|pg-copy-streams)(/|$)',
  message: 'Only libs/warehouse may import the PostgreSQL client; use what @app/warehouse exports.',
};
const ANY_APP = {
  regex: '(^|/)apps(/|$)',
  message: 'Libs never import apps: apps use libs, not the reverse.',
};
/** Another app, by an `apps/` path or by climbing out of this app (`../../router/...`). */
const otherApp = (app) => {
  const others = APPS.filter((a) => a !== app).join('|');
  return {
    regex: `((^|/)apps/|^(\\.\\./)+)(${others})(/|$)`,
    message: 'Apps never import other apps; share the code through a lib.',
  };
};

/** `no-restricted-imports` for files that may import neither client except those allowed. */
const restrictImports = ({ kafka = false, pg = false, extra = [] } = {}) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [...(kafka ? [] : [KAFKA_CLIENT]), ...(pg ? [] : [PG_CLIENT]), ...extra] },
  ],
});

/** The rules of every folder; `allowed` lifts one client's restriction for listed files. */
const boundaries = (allowed = {}) => [
  { files: ['scripts/**/*.ts'], rules: restrictImports(allowed) },
  { files: ['libs/**/*.ts'], rules: restrictImports({ ...allowed, extra: [ANY_APP] }) },
  { files: ['libs/kafka/**/*.ts'], rules: restrictImports({ ...allowed, kafka: true, extra: [ANY_APP] }) },
  { files: ['libs/warehouse/**/*.ts'], rules: restrictImports({ ...allowed, pg: true, extra: [ANY_APP] }) },
  ...APPS.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: restrictImports({ ...allowed, extra: [otherApp(app)] }),
  })),
];

// The bench and the demo measure and check the warehouse from outside, as test/ does: the naive
// writers that tablelane is compared with, the COPY+merge ceiling, the end-state diff. They are
// raw PostgreSQL clients by their nature; listed file by file, so any other import of pg fails.
const PG_ALLOWED = [
  'scripts/bench/bench.ts',
  'scripts/bench/ceiling.ts',
  'scripts/bench/naive.ts',
  // (f) fills its targets server-side (INSERT … SELECT generate_series), counts, vacuums and drops
  // them, and observes the destination's own client to time each merge statement.
  'scripts/bench/scaling.ts',
  'scripts/bench/tablelane-runs.ts',
  'scripts/demo/demo.ts',
];
/**
 * The folder rules again with one client allowed, each block limited to the listed files of
 * its folder (an inner array of `files` must all match), so the other restrictions still hold.
 */
const allowFor = (listed, allowed) =>
  boundaries(allowed).map((block) => ({ ...block, files: listed.map((file) => [...block.files, file]) }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', '.tools/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // test/ is exempt: suites check the pipeline from outside, as any client of Kafka and the
  // warehouse would, so they use kafkajs and pg directly rather than the code under test.
  ...boundaries(),
  ...allowFor(PG_ALLOWED, { pg: true }),
  // Conventions (docs/conventions.md): file names, how tests import, one tokens file per app.
  ...conventions(),
);

/**
 * The conventions of docs/conventions.md that lint enforces (proven by test/lint/conventions.test.ts).
 * A function declaration, so it is hoisted above the export that spreads it.
 */
function conventions() {
  const apps = APPS;
  // The framework roles a file may name after its thing: `<thing>.<role>.ts`, then `.spec`/`.test`.
  const roles = [
    'avro',
    'command',
    'controller',
    'filter',
    'lifecycle',
    'module',
    'port',
    'schema',
    'service',
    'store',
    'tokens',
    'wiring',
  ];
  const fileName = new RegExp(`^[a-z0-9]+(-[a-z0-9]+)*(\\.(${roles.join('|')}))?(\\.(spec|test))?\\.ts$`);
  const appAlias = new RegExp(`^@app/(${apps.join('|')})(/|$)`);
  const root = import.meta.dirname;
  /** The file's path from the repository root, with forward slashes. */
  const fromRoot = (file) =>
    file
      .slice(root.length + 1)
      .split('\\')
      .join('/');
  /** Calls `check(node, source)` for every import, re-export and dynamic import with a literal source. */
  const eachImport = (check) => {
    const visit = (node) => {
      if (node.source && typeof node.source.value === 'string') check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: visit,
      ExportNamedDeclaration: visit,
      ExportAllDeclaration: visit,
      ImportExpression: visit,
    };
  };

  const plugin = {
    rules: {
      'file-name': {
        meta: { type: 'suggestion', schema: [] },
        create(context) {
          const path = fromRoot(context.filename);
          const name = path.split('/').pop();
          return {
            Program(node) {
              if (!fileName.test(name))
                context.report({
                  node,
                  message: `File names are kebab-case, optionally with a role (${roles.join(', ')}), then .spec or .test: not ${name}.`,
                });
              else if (
                /\.tokens\.ts$/.test(name) &&
                !new RegExp(`^apps/(${apps.join('|')})/src/\\1\\.tokens\\.ts$`).test(path)
              )
                context.report({
                  node,
                  message: `An app keeps its DI tokens in one apps/<app>/src/<app>.tokens.ts: not ${path}.`,
                });
            },
          };
        },
      },
      'test-imports': {
        meta: { type: 'problem', schema: [] },
        create(context) {
          const dir = fromRoot(context.filename).split('/').slice(0, -1);
          return eachImport((node, source) => {
            if (!source.startsWith('.')) return;
            const target = [];
            for (const part of [...dir, ...source.split('/')]) {
              if (part === '..') target.pop();
              else if (part !== '.') target.push(part);
            }
            if (target[0] === 'libs' || target[0] === 'apps')
              context.report({
                node,
                message: `Tests import libs and apps through @app/* (@app/<lib>, @app/<app>/<path>), not by relative path: ${source}.`,
              });
          });
        },
      },
      'app-alias': {
        meta: { type: 'problem', schema: [] },
        create(context) {
          return eachImport((node, source) => {
            if (appAlias.test(source))
              context.report({
                node,
                message: `@app/<app>/* is for tests: code imports its own app by relative path and never another app: ${source}.`,
              });
          });
        },
      },
    },
  };

  return [
    {
      files: ['apps/**/*.ts', 'libs/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
      plugins: { tablelane: plugin },
      rules: { 'tablelane/file-name': 'error' },
    },
    { files: ['test/**/*.ts'], rules: { 'tablelane/test-imports': 'error' } },
    { files: ['apps/**/*.ts', 'libs/**/*.ts', 'scripts/**/*.ts'], rules: { 'tablelane/app-alias': 'error' } },
    {
      // DI tokens: `export const X = Symbol(...)` only in the app's one tokens file.
      files: ['apps/**/*.ts'],
      ignores: ['apps/*/src/*.tokens.ts'],
      rules: {
        'no-restricted-syntax': [
          'error',
          {
            selector:
              "ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > CallExpression[callee.name='Symbol']",
            message: "DI tokens live in the app's one apps/<app>/src/<app>.tokens.ts.",
          },
        ],
      },
    },
  ];
}

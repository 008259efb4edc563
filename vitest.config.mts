import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const alias = Object.fromEntries([
  ...['config', 'contracts', 'kafka', 'staging', 'warehouse', 'observability', 'sdk', 'simulation'].map(
    (lib) => [`@app/${lib}`, fileURLToPath(new URL(`./libs/${lib}/src/index.ts`, import.meta.url))],
  ),
  // Tests reach into an app by @app/<app>/<path> (docs/conventions.md); code never does.
  ...['cli', 'producer', 'router', 'sink'].map((app) => [
    `@app/${app}`,
    fileURLToPath(new URL(`./apps/${app}/src`, import.meta.url)),
  ]),
]);

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts'] },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // Integration suites share one broker, registry and database: run files one at a
          // time so timing-sensitive suites (crash, fencing, isolation) do not starve each other.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

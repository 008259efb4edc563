import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENVIRONMENT_NAMES } from '@app/config';
import { parseAllDocuments } from 'yaml';

/** The repository root: the deploy suites read files only, they start no service. */
export const ROOT = resolve(__dirname, '../../..');

export const APPS = ['producer', 'router', 'sink'] as const;
export type AppName = (typeof APPS)[number];

/**
 * Partitions of the changes topic: one lane each. The same number is in docker-compose.yml
 * (init-topics) and scripts/stack/up.sh; kubernetes.test.ts checks the first stays in line.
 */
export const CHANGES_PARTITIONS = 8;

export function readText(path: string): string {
  return readFileSync(resolve(ROOT, path), 'utf8');
}

/** Every document of a YAML file (or YAML text), failing on the first parse error. */
export function yamlDocuments(text: string, source: string): Record<string, unknown>[] {
  return parseAllDocuments(text, { merge: true }).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (typeof value !== 'object' || Array.isArray(value))
      throw new Error(`${source}: a document is not a mapping`);
    return [value as Record<string, unknown>];
  });
}

/** Where `node dist/<x>.js` comes from: tsc maps `<rootDir>/<x>.ts` to `<outDir>/<x>.js`. */
export function sourceOfBuiltScript(script: string): string {
  const { compilerOptions } = JSON.parse(readText('tsconfig.json')) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  const outDir = compilerOptions.outDir.replace(/^\.\//, '').replace(/\/$/, '');
  if (!script.startsWith(`${outDir}/`) || !script.endsWith('.js'))
    throw new Error(`${script} is not a file that the build writes under ${outDir}/`);
  return resolve(ROOT, compilerOptions.rootDir, script.slice(outDir.length + 1).replace(/\.js$/, '.ts'));
}

/** A command of the machine, or undefined when it is not installed (suites then skip, saying so). */
export function findCommand(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Names the code reads from the environment (`env.NAME` or `process.env.NAME`), outside specs. */
export function environmentNamesReadByCode(): Set<string> {
  // Settings read through libs/config's schema are declared there, not spelled `env.X`; a
  // secret is read as its <NAME>_FILE too.
  const names = new Set<string>(ENVIRONMENT_NAMES);
  for (const dir of ['apps', 'libs']) {
    for (const file of readdirSync(resolve(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      for (const match of readText(`${dir}/${file}`).matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g))
        names.add(match[1]);
    }
  }
  return names;
}

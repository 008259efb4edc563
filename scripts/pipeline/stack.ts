import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository root, from the compiled script's place in `dist/scripts/<dir>/`. */
export const ROOT = resolve(__dirname, '../../..');

/** The stack's client settings (.stack/env, written by stack:up), unless already set. */
export function loadStackEnv(): void {
  const path = resolve(ROOT, '.stack/env');
  if (!existsSync(path)) return;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]!] === undefined)
      process.env[match[1]!] = match[2]!.replace(/^['"]|['"]$/g, '');
  }
}

/** Starts the local stack unless every component already answers; says whether it did. */
export function ensureStack(): boolean {
  if (spawnSync('bash', ['scripts/stack/status.sh'], { cwd: ROOT, stdio: 'ignore' }).status === 0)
    return false;
  console.log('starting the local stack (npm run stack:up) ...');
  const up = spawnSync('bash', ['scripts/stack/up.sh'], { cwd: ROOT, stdio: 'inherit' });
  if (up.status !== 0) throw new Error('the local stack did not start; see .stack/logs');
  return true;
}

/** Stops the stack; only for callers that started it themselves (ensureStack returned true). */
export function stopStack(): void {
  spawnSync('bash', ['scripts/stack/down.sh'], { cwd: ROOT, stdio: 'inherit' });
}

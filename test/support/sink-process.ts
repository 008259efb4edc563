import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { onTestFinished } from 'vitest';
import { stackEnv } from './env';

const SINK_MAIN = resolve(__dirname, '../../dist/apps/sink/src/main.js');

export function writeConfig(config: object): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tablelane-')), 'tablelane.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

export interface SinkProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts the built sink (`npm run build` first) as its own process, so tests can SIGKILL it at
 * the worst moment. It is killed when the test finishes.
 */
export function startSink(configPath: string, env: Record<string, string> = {}): SinkProcess {
  let output = '';
  const child = spawn(process.execPath, [SINK_MAIN], {
    env: {
      ...process.env,
      ...stackEnv,
      TABLELANE_CONFIG: configPath,
      PORT: '0',
      LOG_LEVEL: 'info',
      // Poison with undeclared columns is dead-lettered at once; the rollout suites set the real bound.
      TABLELANE_CONTRACT_HOLD_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, exited };
}

export async function sinkStatus(port: number): Promise<{
  blocked: { table: string; blockers: { pid: number; query: string | null }[]; cancelled: number[] }[];
}> {
  const response = await fetch(`http://127.0.0.1:${port}/status`);
  return (await response.json()) as never;
}

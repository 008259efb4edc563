import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { stackEnv } from '../../support/env';

const ROOT = resolve(__dirname, '../../..');

/**
 * One replica of a built app (`npm run build` first) that a test can SIGKILL and start again
 * with the same environment, as a supervisor would. Tablelane settings of the test's own
 * environment are not passed on: the app runs with its defaults and the `env` given. Its output spans every incarnation; the
 * last one is killed when the test finishes.
 */
export class RestartableApp {
  private child?: ChildProcess;
  private log = '';
  /** Incarnations started so far. */
  starts = 0;

  constructor(
    readonly name: string,
    private readonly app: 'router' | 'sink',
    private readonly env: Record<string, string>,
  ) {
    onTestFinished(() => this.kill());
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts++;
    this.log += `\n===== ${this.name} start #${this.starts} at ${new Date().toISOString()}\n`;
    const child = spawn(process.execPath, [resolve(ROOT, `dist/apps/${this.app}/src/main.js`)], {
      env: { ...inheritedEnv(), ...stackEnv, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    // An exit nobody asked for is part of the story the timeline tells on failure.
    child.on('exit', (code, signal) => (this.log += `\n===== ${this.name} exited ${code ?? signal}\n`));
    this.child = child;
  }

  kill(): void {
    if (this.running) this.child!.kill('SIGKILL');
  }

  /** Output of every incarnation, oldest first. */
  output(): string {
    return this.log;
  }

  /** Output of the current incarnation only. */
  currentOutput(): string {
    return this.log.slice(this.log.lastIndexOf(`===== ${this.name} start #`));
  }
}

/** The test's environment without tablelane settings, so only the defaults and `env` apply. */
function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TABLELANE_')));
}

// First: kafkajs' own read_committed filter leaks aborted records. Loading @app/kafka installs
// the fix (libs/kafka/src/kafkajs-read-committed.ts), which must happen before kafkajs loads.
import '@app/kafka';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../support/ports';

export const ROOT = resolve(__dirname, '../../..');

/** Connection settings of the local stack (scripts/stack/up.sh). */
export const stack = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
};

/** A name no other test or earlier run uses; valid as topic, group and transactional id. */
export function unique(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
}

export function testKafka(clientId = 'tablelane-router-test'): Kafka {
  return new Kafka({ clientId, brokers: stack.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
}

export interface TestTopics {
  /** Prefix of every topic, group and transactional id of the test. */
  base: string;
  ingest: string;
  changes: string;
  dlq: string;
}

/**
 * Creates an ingest, changes and dlq topic of its own for one test, and deletes them (with
 * the lane baseline topic and the registry subject) when the test finishes.
 */
export async function createTestTopics(
  kafka: Kafka,
  prefix: string,
  partitions = { ingest: 4, changes: 8, dlq: 1 },
  /** Topic configs, e.g. a small `max.message.bytes` for the changes and dlq topics. */
  configs: Partial<Record<'ingest' | 'changes' | 'dlq', Record<string, string>>> = {},
): Promise<TestTopics> {
  const base = unique(prefix);
  const topics = { base, ingest: `${base}.ingest`, changes: `${base}.changes`, dlq: `${base}.dlq` };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: (['ingest', 'changes', 'dlq'] as const).map((role) => ({
        topic: topics[role],
        numPartitions: partitions[role],
        replicationFactor: 1,
        configEntries: Object.entries(configs[role] ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
  onTestFinished(async () => {
    const cleanup = kafka.admin();
    await cleanup.connect();
    const existing = await cleanup.listTopics();
    const ours = existing.filter((t) => t.startsWith(base));
    await cleanup.deleteTopics({ topics: ours }).catch(() => undefined);
    const groups = (await cleanup.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(base));
    await cleanup.deleteGroups(groups).catch(() => undefined);
    await cleanup.disconnect();
    await deleteSubject(`${topics.ingest}-value`);
  });
  return topics;
}

export async function deleteSubject(subject: string): Promise<void> {
  for (const suffix of ['', '?permanent=true']) {
    await fetch(`${stack.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}${suffix}`, {
      method: 'DELETE',
    }).catch(() => undefined);
  }
}

/** Writes a tablelane.yaml for the test's topics; removed when the test finishes. */
export function writeConfig(topics: TestTopics, tables: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tablelane-router-'));
  const path = join(dir, 'tablelane.yaml');
  writeFileSync(
    path,
    stringify({ topics: { ingest: topics.ingest, changes: topics.changes, dlq: topics.dlq }, tables }),
  );
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return path;
}

/** An API key and the TABLELANE_API_KEYS value holding only its hash. */
export function apiKeys(entries: { name: string; tables: string[] }[]): {
  keys: Record<string, string>;
  env: string;
} {
  const keys: Record<string, string> = {};
  const config = entries.map((e) => {
    keys[e.name] = randomBytes(24).toString('base64url');
    return {
      name: e.name,
      sha256: createHash('sha256').update(keys[e.name]!).digest('hex'),
      tables: e.tables,
    };
  });
  return { keys, env: JSON.stringify(config) };
}

let built = false;

/**
 * Builds dist/ when a source file is newer than the built apps, so the suites can be run
 * with `npx vitest run` alone. tsc still emits when files of other apps do not typecheck;
 * tsc-alias then rewrites the @app/* imports.
 */
export function ensureBuilt(): void {
  if (built) return;
  const mains = ['router', 'producer'].map((app) => join(ROOT, 'dist/apps', app, 'src/main.js'));
  const builtAt = Math.min(...mains.map((m) => mtime(m)));
  const newest = Math.max(
    ...['apps/router/src', 'apps/producer/src', 'libs'].map((dir) => newestTs(join(ROOT, dir))),
  );
  if (newest > builtAt) {
    spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const alias = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/tsc-alias/dist/bin/index.js'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (alias.status !== 0 || Math.min(...mains.map((m) => mtime(m))) < newest) {
      throw new Error(`building dist/ failed; run npm run build and fix the errors\n${alias.stderr}`);
    }
  }
  built = true;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, mtime(join(entry.parentPath, entry.name)));
    }
  }
  return newest;
}

export interface AppProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves when a line of the output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts a built app as its own process, so a test can SIGKILL it; killed when the test ends. */
export function startApp(
  app: 'router' | 'producer',
  env: Record<string, string>,
  args: string[] = [],
): AppProcess {
  ensureBuilt();
  let output = '';
  const waiters: { pattern: RegExp; done: () => void }[] = [];
  const child = spawn(process.execPath, [join(ROOT, 'dist/apps', app, 'src/main.js'), ...args], {
    env: { ...process.env, ...stack, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(output)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolvePromise, reject) => {
        if (pattern.test(output)) return resolvePromise();
        const timer = setTimeout(
          () =>
            reject(
              new Error(`${app} did not log ${pattern} within ${timeoutMs} ms:\n${output.slice(-4000)}`),
            ),
          timeoutMs,
        );
        waiters.push({ pattern, done: () => (clearTimeout(timer), resolvePromise()) });
        void exited.then((code) =>
          reject(new Error(`${app} exited with ${code} before logging ${pattern}:\n${output.slice(-4000)}`)),
        );
      }),
  };
}

export function routerEnv(configPath: string, topics: TestTopics): Record<string, string> {
  return {
    TABLELANE_CONFIG: configPath,
    TABLELANE_ROUTER_GROUP: `${topics.base}.router`,
    TABLELANE_ROUTER_TRANSACTIONAL_ID: `${topics.base}.router`,
    // The broker's minimum: a SIGKILLed router's partitions are handed over within seconds.
    TABLELANE_ROUTER_SESSION_TIMEOUT_MS: '6000',
    // Suites that send undeclared tables on purpose want their dead letters now, not after
    // a contract rollout could have arrived; the rollout suite sets the production bound.
    TABLELANE_CONTRACT_HOLD_MS: '1000',
    // Probes on a port of the system's choosing; a test that calls them sets PORT.
    PORT: '0',
    HOST: '127.0.0.1',
  };
}

/** Starts the built gateway on a free port and waits until it is ready. */
export async function startGateway(
  configPath: string,
  apiKeysEnv: string,
  env: Record<string, string> = {},
): Promise<{ app: AppProcess; url: string }> {
  const port = await freePort();
  const app = startApp('producer', {
    TABLELANE_CONFIG: configPath,
    TABLELANE_API_KEYS: apiKeysEnv,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { app, url };
    if (app.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the gateway did not become ready:\n${app.output().slice(-4000)}`);
    await sleep(200);
  }
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning with read_committed until `expected` records arrived and
 * then `quietMs` passed without another one (so duplicates would show), or the timeout.
 */
export async function readCommitted(
  kafka: Kafka,
  topic: string,
  expected: number,
  { timeoutMs = 90_000, quietMs = 3_000 } = {},
): Promise<ReadRecord[]> {
  const groupId = unique('reader');
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const records: ReadRecord[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        last = Date.now();
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: stringHeaders(message.headers),
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !(records.length >= expected && Date.now() - last >= quietMs))
      await sleep(100);
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return records;
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map(String).join(',') : String(v),
    ]),
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

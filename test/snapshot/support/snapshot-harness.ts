// The CLI pipeline comes first: it loads the router harness, which installs the read_committed fix.
import { cliPipeline, type CliPipeline } from '../../cli/support/pipeline';
import { kafkaConnectionSettings } from '@app/config';
import {
  createKafka,
  readSnapshotProgress,
  scanTopic,
  snapshotProgressTopic,
  writeLaneBaseline,
  type SnapshotProgress,
} from '@app/kafka';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { ROOT } from '../../router/support/harness';
import { cdcSourceUrl, createSourceSchema, type SourceSchema } from '../../support/debezium-connect';
import { stackEnv } from '../../support/env';

const CLI = join(ROOT, 'dist/apps/cli/src/main.js');

/** One event of the lane, as the snapshot wrote it. */
export interface LaneEvent {
  table: string;
  op: string;
  snapshot: string;
  row?: Record<string, unknown>;
  rows?: number;
  ts?: number;
}

/** A `tablelane snapshot` process the test can watch, kill and measure. */
export interface SnapshotProcess {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  exited: Promise<number | null>;
  /** The highest resident set size the process reached, from /proc (VmHWM), in MiB. */
  peakRssMiB(): number;
}

export interface SnapshotSuite {
  pipeline: CliPipeline;
  source: SourceSchema;
  /** The contracts file, with the table on `lane` of a recorded baseline. */
  config: string;
  table: string;
  lane: number;
  /** `snapshot --table <table> --source-table <source schema>.<table's name>`, then `more`. */
  snapshotArgs(...more: string[]): string[];
  /** Runs the CLI to its end with the source's URL in the environment. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts the CLI as a process of its own; `nodeArgs` go to node (a heap limit, as a job sets one). */
  spawn(args: string[], nodeArgs?: string[]): SnapshotProcess;
  /** Every event on the table's lane, read_committed, in lane order. */
  readLane(): Promise<LaneEvent[]>;
  /** The table's latest progress record. */
  progress(isolation?: 'committed' | 'uncommitted'): Promise<SnapshotProgress | undefined>;
}

/**
 * Topics and a lane baseline of the test's own (the table on lane 2 of 4, as a router would have
 * recorded it), a schema of its own on the CDC source database, and a contracts file for `table`.
 */
export async function snapshotSuite(
  prefix: string,
  table: { name: string; [key: string]: unknown },
): Promise<SnapshotSuite> {
  const pipeline = cliPipeline(prefix);
  const config = pipeline.writeConfig([table]);
  await pipeline.createTopics(config, { ingest: 1, changes: 4 });
  const lane = 2;
  const kafka = createKafka(kafkaConnectionSettings(stackEnv), 'snapshot-test');
  const admin = kafka.admin();
  await admin.connect();
  onTestFinished(() => admin.disconnect());
  const changes = pipeline.topics.changes;
  await writeLaneBaseline(kafka, `${changes}.lanes`, {
    changesTopic: changes,
    partitions: 4,
    lanes: { [table.name]: lane },
    recordedAt: new Date().toISOString(),
  });
  const source = await createSourceSchema(prefix.replace(/\W/g, '_'));
  onTestFinished(() => source.drop());
  const env = { SNAPSHOT_SOURCE_URL: cdcSourceUrl() };
  return {
    pipeline,
    source,
    config,
    table: table.name,
    lane,
    snapshotArgs: (...more) => [
      'snapshot',
      '--table',
      table.name,
      '--source-table',
      `${source.name}.${table.name.split('.')[1]}`,
      ...more,
    ],
    cli: (args) => pipeline.cli(config, args, env),
    spawn: (args, nodeArgs = []) => spawnCli(config, args, env, nodeArgs),
    async readLane() {
      const events: LaneEvent[] = [];
      await scanTopic(kafka, admin, changes, { partitions: [lane] }, ({ value }) => {
        events.push(JSON.parse(value!.toString('utf8')) as LaneEvent);
      });
      return events;
    },
    async progress(isolation = 'committed') {
      const all = await readSnapshotProgress(kafka, admin, snapshotProgressTopic(changes), isolation);
      return all.get(table.name);
    },
  };
}

function spawnCli(
  configPath: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[],
): SnapshotProcess {
  let output = '';
  let stdout = '';
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    env: { ...process.env, ...stackEnv, LOG_LEVEL: 'info', ...env, TABLELANE_CONFIG: configPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peakKiB = 0;
  // VmHWM is the process's own high-water mark: sampling it often enough to read it before
  // the exit is all it takes to know the peak.
  const sampler = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
    } catch {
      // Exited between two samples.
    }
  }, 50);
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code) => {
      clearInterval(sampler);
      done(code);
    }),
  );
  onTestFinished(() => {
    clearInterval(sampler);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, stdout: () => stdout, exited, peakRssMiB: () => peakKiB / 1024 };
}

/** Polls until `check` holds, failing with `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

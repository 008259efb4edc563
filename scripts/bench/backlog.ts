import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTablelaneClient, type TablelaneClient } from '@app/sdk';
import { diffWarehouse, type WarehouseReader, type Workload } from '@app/simulation';
import { LocalPipeline, type Lag, type PipelineApp } from '../pipeline/local-pipeline';
import { readCommitLog } from './commit-latency';
import { CpuMeter, type CpuUsage } from './cpu-usage';
import { MemorySampler } from './proc-memory';
import { runSchema, runTables, workloadFor } from './tablelane-runs';

/** Changes per send while the backlog is produced: one produce request each. */
export const BACKLOG_BATCH = 1000;
/** Workload producers (and SDK clients) producing the backlog; their sends overlap. */
const BACKLOG_PRODUCERS = 8;
const POLL_MS = 200;
const DRAIN_TIMEOUT_MS = 600_000;

export type BacklogVariant = 'router + sinks' | 'sinks alone';

/** One process of a drain: what it cost from its start to lag 0. */
export interface DrainProcess {
  name: string;
  cpuSeconds: number;
  /** Highest resident memory: VmRSS sampled twice a second, or the process's own VmHWM if higher. */
  peakRssBytes: number;
}

/** One measured phase of a backlog variant: some apps started on a full topic, until lag 0. */
export interface DrainResult {
  /** `router + sinks`, `router alone` (routing the backlog, sinks stopped) or `sinks alone`. */
  phase: string;
  variant: BacklogVariant;
  changes: number;
  /** From the start of the first app to lag 0 (the last warehouse commit, when sinks run). */
  seconds: number;
  changesPerSecond: number;
  /** From the start of the first app to the first warehouse commit; null without sinks. */
  firstCommitSeconds: number | null;
  /** Changes committed after the first commit, over the time from the first commit to the last. */
  changesPerSecondAfterFirstCommit: number | null;
  /** Table batches the sinks committed. */
  batches: number;
  processes: DrainProcess[];
  /** Where the machine's CPU went during the phase, by component. */
  cpu: CpuUsage;
  /** Warehouse against the model; null for a phase that loads nothing (router alone). */
  differences: string[] | null;
}

export interface BacklogResult {
  variant: BacklogVariant;
  changes: number;
  /** Producing the backlog before any app starts, through the SDK: not part of any drain. */
  produceSeconds: number;
  /** SDK clients producing at once (one per workload producer), and changes per send. */
  produceClients: number;
  sendSize: number;
  phases: DrainResult[];
}

export interface BacklogOptions {
  variant: BacklogVariant;
  /** Schema suffix of the variant (lower case letters and digits). */
  label: string;
  run: string;
  workdir: string;
  schemaPrefix: string;
  changes: number;
  seed: number;
  partitions: number;
  ports: { producer: number; router: number; sinks: number[] };
  sinkEnv: Record<string, string>;
  pool: WarehouseReader;
}

/**
 * (d) Backlog drain. Produces a backlog of changes onto a fresh ingest topic with no app
 * running (through the SDK, as applications send: half Avro via the schema registry, half the
 * documented JSON form), then starts apps on it and measures until lag 0:
 * - `router + sinks`: the router and both sinks start together;
 * - `sinks alone`: the router routes the whole backlog first with the sinks stopped (measured
 *   as `router alone`), is stopped, then only the sinks start on the full changes topic.
 * Each variant ends with the warehouse compared with the model of its workload.
 */
export async function runBacklog(options: BacklogOptions): Promise<BacklogResult> {
  const schema = runSchema(options.schemaPrefix, options.label);
  const workdir = resolve(options.workdir, `backlog-${options.label}`);
  mkdirSync(workdir, { recursive: true });
  const workload = workloadFor(
    schema,
    { label: options.label, producers: BACKLOG_PRODUCERS, changes: options.changes },
    options.seed,
  );
  const total = workload.producers.reduce((n, events) => n + events.length, 0);
  const pipeline = await LocalPipeline.start({
    kind: 'bench',
    run: `${options.run}-${options.label}`,
    workdir,
    tables: runTables(schema),
    stateSchema: `${schema}_state`,
    apiKeyTables: [`${schema}.*`],
    partitions: options.partitions,
    ports: options.ports,
    sinkEnv: options.sinkEnv,
    startApps: [],
  });
  try {
    const produceStarted = Date.now();
    await produceBacklog(pipeline, workload);
    const produceSeconds = (Date.now() - produceStarted) / 1000;
    console.log(
      `    produced ${total} changes in ${produceSeconds.toFixed(1)} s (${Math.round(total / produceSeconds)} changes/s, SDK, batches of ${BACKLOG_BATCH})`,
    );
    const sinkLogs = options.ports.sinks.map((_, i) => resolve(workdir, `sink-${i + 1}.log`));
    const ofRun = (table: string) => table.startsWith(`${schema}.`);
    const phases: DrainResult[] = [];
    const measure = async (phase: string, roles: PipelineApp[], done: (lag: Lag) => boolean) => {
      const result = await drain(pipeline, roles, done, total, sinkLogs, ofRun);
      const differences = roles.includes('sinks') ? await diffWarehouse(options.pool, workload) : null;
      const drained: DrainResult = { phase, variant: options.variant, ...result, differences };
      phases.push(drained);
      console.log(`    ${phase}: ${drainSummary(drained)}`);
    };
    if (options.variant === 'router + sinks') {
      await measure('router + sinks', ['router', 'sinks'], (lag) => lag.ingest === 0 && lag.total === 0);
    } else {
      await measure('router alone', ['router'], (lag) => lag.ingest === 0);
      await pipeline.stopApps(['router']);
      await measure('sinks alone', ['sinks'], (lag) => lag.total === 0);
    }
    return {
      variant: options.variant,
      changes: total,
      produceSeconds,
      produceClients: workload.producers.length,
      sendSize: BACKLOG_BATCH,
      phases,
    };
  } finally {
    await pipeline.stop();
  }
}

/**
 * Sends every workload producer's changes in order, BACKLOG_BATCH at a time, each through its
 * own SDK client (even ones Avro, odd ones JSON, as the end-to-end runs split SDK and gateway),
 * all producers at once. Resolves when Kafka acknowledged everything.
 */
async function produceBacklog(pipeline: LocalPipeline, workload: Workload): Promise<void> {
  const clients: TablelaneClient[] = workload.producers.map((_, i) =>
    createTablelaneClient({
      config: pipeline.config,
      clientId: `bench-backlog-${i}`,
      encoding: i % 2 === 0 ? 'avro' : 'json',
    }),
  );
  try {
    await Promise.all(
      workload.producers.map(async (events, i) => {
        for (let at = 0; at < events.length; at += BACKLOG_BATCH) {
          const ts = Date.now();
          const batch = events
            .slice(at, at + BACKLOG_BATCH)
            .map((e) => ({ ...(JSON.parse(e.value) as object), ts }));
          await clients[i]!.send(batch as never);
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** Starts the apps and measures until `done` holds for the pipeline's lag. */
async function drain(
  pipeline: LocalPipeline,
  roles: PipelineApp[],
  done: (lag: Lag) => boolean,
  total: number,
  sinkLogs: string[],
  ofRun: (table: string) => boolean,
): Promise<Omit<DrainResult, 'phase' | 'variant' | 'differences'>> {
  const cpu = new CpuMeter(new Map([[process.pid, 'bench process']])).start();
  const memory = new MemorySampler().start();
  const started = Date.now();
  const apps = await pipeline.startApps(roles);
  for (const app of apps) {
    cpu.track(app.pid!, app.name);
    memory.track(app.pid!, app.name, true);
  }
  let caughtUpAt: number;
  let lastReport = Date.now();
  for (;;) {
    pipeline.assertRunning();
    const lag = await pipeline.lag();
    if (done(lag)) {
      caughtUpAt = Date.now();
      break;
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      console.log(
        `      ${((lastReport - started) / 1000).toFixed(0).padStart(3)}s  ingest lag ${lag.ingest}  lane lag ${lag.total}`,
      );
    }
    if (Date.now() - started > DRAIN_TIMEOUT_MS)
      throw new Error(`the backlog was not drained within ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const usage = cpu.stop();
  memory.stop();
  const peaks = memory.peaks();

  const commits = roles.includes('sinks') ? readCommitLog(sinkLogs, ofRun) : [];
  commits.sort((a, b) => a.at - b.at);
  const first = commits[0];
  const last = commits.at(-1);
  // The last warehouse commit is lag 0 to within a poll; without sinks, the poll that saw it.
  const end = last ? Math.min(last.at, caughtUpAt) : caughtUpAt;
  const seconds = (end - started) / 1000;
  const afterFirst = first && last && last.at > first.at ? commits.filter((c) => c.at > first.at) : [];
  const changesAfterFirst = afterFirst.reduce((n, c) => n + c.changes, 0);
  return {
    changes: total,
    seconds,
    changesPerSecond: total / seconds,
    firstCommitSeconds: first ? (first.at - started) / 1000 : null,
    changesPerSecondAfterFirstCommit:
      first && last && afterFirst.length > 0 ? changesAfterFirst / ((last.at - first.at) / 1000) : null,
    batches: commits.length,
    processes: apps.map((app) => ({
      name: app.name,
      cpuSeconds: usage.seconds[app.name] ?? 0,
      peakRssBytes: peaks[app.name] ?? 0,
    })),
    cpu: usage,
  };
}

function drainSummary(r: DrainResult): string {
  const after =
    r.changesPerSecondAfterFirstCommit === null
      ? ''
      : `, ${Math.round(r.changesPerSecondAfterFirstCommit)}/s after the first commit (at ${r.firstCommitSeconds!.toFixed(1)} s)`;
  const processes = r.processes
    .map((p) => `${p.name} ${p.cpuSeconds.toFixed(1)} CPU-s ${(p.peakRssBytes / 1024 / 1024).toFixed(0)} MB`)
    .join(', ');
  const verdict =
    r.differences === null
      ? ''
      : r.differences.length === 0
        ? '; warehouse = model'
        : `; ${r.differences.length} DIFFERENCES`;
  return `${r.changes} changes in ${r.seconds.toFixed(1)} s = ${Math.round(r.changesPerSecond)} changes/s${after}; ${processes}${verdict}`;
}

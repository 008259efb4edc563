import { runtimeSettings } from '@app/config';
import { diffWarehouse, generateWorkload, type Workload } from '@app/simulation';
import type { Pool } from 'pg';
import { runFleet, type FleetProgress } from '../demo/lambda-fleet';
import { histogramQuantile, sum } from '../demo/prometheus-text';
import type { LocalPipeline } from '../pipeline/local-pipeline';
import { CpuMeter, type CpuUsage } from './cpu-usage';
import { joinLatencies, readCommitLog, readLaneChanges } from './commit-latency';
import { MemorySampler } from './proc-memory';
import { summarize, type LatencySummary } from './stats';

/** Changes per simulated Lambda invocation, as in the demo. */
export const INVOCATION_SIZE = 20;
/** generateWorkload emits 1.25 changes per step on average (a user change also writes an audit row). */
const CHANGES_PER_STEP = 1.25;

export interface RunSpec {
  /** Also the suffix of the run's schema: lower case letters and digits. */
  label: string;
  producers: number;
  /** Changes to send in all (approximately: the workload generator decides the exact count). */
  changes: number;
  /** Paces the producers to this many changes per second in all; unset: as fast as they can. */
  changesPerSecond?: number;
  /** Changes sent this early in the run are left out of the latency summary (connections, JIT). */
  warmupMs?: number;
}

export interface RunResult {
  label: string;
  producers: number;
  pacedChangesPerSecond: number | null;
  changes: number;
  /** From the first send to the commit of the last change. */
  seconds: number;
  changesPerSecond: number;
  /** Rows the sinks merged after reducing each batch to one change per key. */
  mergedRows: number;
  latency: LatencySummary;
  /** Where `latency` comes from: every change joined to its commit, or the sinks' histogram. */
  latencySource: 'commit log' | 'sink histogram';
  /** p99 from the sinks' own histogram (bucketed), as a cross-check. */
  histogramP99: number | null;
  sinkPeakRssBytes: number;
  /** Where the machine's CPU went from the first send to lag 0. */
  cpu: CpuUsage;
  /** Mean changes per committed table batch, by table (without the schema). */
  meanBatchChanges: Record<string, number>;
  differences: string[];
}

/** The table contracts of a run; every run pins its tables to the same lanes, so runs compare. */
export function runTables(schema: string): object[] {
  const lanes = [0, 4, 1, 5, 2];
  return generateWorkload(schema, 1, 1, 1).tables.map((table, i) => ({ ...table, lane: lanes[i] }));
}

export function runSchema(prefix: string, label: string): string {
  return `${prefix}_${label}`;
}

/** The workload of a run: the same spec and seed give the same changes, whatever the schema. */
export function workloadFor(schema: string, spec: RunSpec, seed: number): Workload {
  const steps = Math.max(1, Math.round(spec.changes / CHANGES_PER_STEP / spec.producers));
  return generateWorkload(schema, spec.producers, steps, seed);
}

/**
 * Runs workloads through one long-lived pipeline, one after the other, each into its own
 * schema, and measures each: throughput from the first send to the last commit, and the
 * latency of every single change (event time to the commit of the batch that applied it).
 */
export class TablelaneBench {
  constructor(
    private readonly pipeline: LocalPipeline,
    private readonly pool: Pool,
    private readonly schemaPrefix: string,
    private readonly sinkLogs: string[],
  ) {}

  async run(spec: RunSpec, seed: number): Promise<RunResult> {
    const schema = runSchema(this.schemaPrefix, spec.label);
    const workload = workloadFor(schema, spec, seed);
    const total = workload.producers.reduce((n, events) => n + events.length, 0);
    const ofRun = (table: string) => table.startsWith(`${schema}.`);
    const changesStart = await this.pipeline.changesEnd();
    const memory = new MemorySampler(this.pipeline.sinks.map((s) => s.pid!).filter(Boolean)).start();
    const cpu = new CpuMeter(this.components()).start();
    const progress: FleetProgress = { sent: 0, failedInvocations: 0 };
    const started = Date.now();
    const caughtUpAt = await this.sendAndWait(workload, spec, progress, total, started);
    const cpuUsage = cpu.stop();
    const sinkPeakRssBytes = memory.stop();

    const commits = readCommitLog(this.sinkLogs, ofRun);
    const metrics = (await this.pipeline.sinkMetrics()).filter(
      (s) => !s.labels.table || ofRun(s.labels.table),
    );
    const histogramP99 =
      histogramQuantile(
        metrics.filter((s) => s.labels.table),
        'tablelane_end_to_end_latency_seconds',
        0.99,
      ) ?? null;
    const changes = await readLaneChanges(
      runtimeSettings().kafka,
      this.pipeline.topics.changes,
      changesStart,
      total,
      ofRun,
    );
    const joined = joinLatencies(changes, commits);
    const firstSend =
      changes.length > 0 ? changes.reduce((first, c) => Math.min(first, c.ts), Infinity) : started;
    const steadyFrom = firstSend + (spec.warmupMs ?? 0);
    const precise = joined.uncovered === 0 && joined.seconds.length === total;
    const latency = precise
      ? summarize(joined.seconds.filter((_, i) => changes[i]!.ts >= steadyFrom))
      : histogramSummary(metrics);
    const lastCommit = precise ? joined.committedAt.reduce((a, b) => Math.max(a, b), 0) : caughtUpAt;
    const seconds = (lastCommit - firstSend) / 1000;

    const batches = new Map<string, { changes: number; count: number }>();
    for (const commit of commits) {
      const table = commit.table.slice(schema.length + 1);
      const entry = batches.get(table) ?? { changes: 0, count: 0 };
      entry.changes += commit.changes;
      entry.count++;
      batches.set(table, entry);
    }
    return {
      label: spec.label,
      producers: spec.producers,
      pacedChangesPerSecond: spec.changesPerSecond ?? null,
      changes: total,
      seconds,
      changesPerSecond: total / seconds,
      mergedRows: sum(metrics, 'tablelane_sink_rows_merged_total'),
      latency,
      latencySource: precise ? 'commit log' : 'sink histogram',
      histogramP99,
      sinkPeakRssBytes,
      cpu: cpuUsage,
      meanBatchChanges: Object.fromEntries([...batches].map(([t, b]) => [t, b.changes / b.count])),
      differences: await diffWarehouse(this.pool, workload),
    };
  }

  /** Our processes by component: this one runs the simulated producers. */
  private components(): Map<number, string> {
    const names: Record<string, string> = { producer: 'gateway', router: 'router' };
    const components = new Map<number, string>([[process.pid, 'producers (bench process)']]);
    for (const app of this.pipeline.apps)
      if (app.pid)
        components.set(app.pid, names[app.name] ?? (app.name.startsWith('sink') ? 'sinks' : app.name));
    return components;
  }

  /** Sends the workload and waits until router and sinks have committed all of it (lag 0). */
  private async sendAndWait(
    workload: Workload,
    spec: RunSpec,
    progress: FleetProgress,
    total: number,
    started: number,
  ): Promise<number> {
    const { config, gatewayUrl, apiKey } = this.pipeline;
    let fleetError: unknown;
    let fleetDone = false;
    const fleet = runFleet(
      workload,
      {
        config,
        gatewayUrl,
        apiKey,
        batchSize: INVOCATION_SIZE,
        changesPerSecond: spec.changesPerSecond && spec.changesPerSecond / spec.producers,
      },
      progress,
    ).then(
      () => (fleetDone = true),
      (error: unknown) => (fleetError = error),
    );
    let lastReport = started;
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, 250));
        if (fleetError) throw fleetError;
        this.pipeline.assertRunning();
        const lag = fleetDone ? await this.pipeline.lag() : undefined;
        if (lag && lag.ingest === 0 && lag.total === 0) return Date.now();
        if (Date.now() - lastReport >= 5000) {
          lastReport = Date.now();
          const behind = lag ?? (await this.pipeline.lag());
          console.log(
            `    ${((lastReport - started) / 1000).toFixed(0).padStart(3)}s  sent ${progress.sent}/${total}  ingest lag ${behind.ingest}  lane lag ${behind.total}`,
          );
        }
        if (Date.now() - started > 300_000)
          throw new Error(`run ${spec.label} did not catch up within 5 minutes`);
      }
    } finally {
      await fleet;
    }
  }
}

/** Quantiles from the sinks' histogram, linear within buckets: the fallback when the commit log is incomplete. */
function histogramSummary(metrics: Parameters<typeof histogramQuantile>[0]): LatencySummary {
  const name = 'tablelane_end_to_end_latency_seconds';
  const q = (p: number) => histogramQuantile(metrics, name, p) ?? Number.NaN;
  const count = sum(metrics, `${name}_count`);
  const under2s = sum(metrics, `${name}_bucket`, (l) => l.le === '2') / Math.max(1, count);
  return { count, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: Number.NaN, under2s };
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { resolve } from 'node:path';
import { Pool, type PoolConfig } from 'pg';
import { LocalPipeline } from '../pipeline/local-pipeline';
import { ensureStack, loadStackEnv, ROOT, stopStack } from '../pipeline/stack';
import { BACKLOG_BATCH, runBacklog, type BacklogResult, type BacklogVariant } from './backlog';
import { runCeiling, type CeilingResult } from './ceiling';
import { runNaive, type Isolation, type NaiveResult } from './naive';
import {
  judgeTargets,
  rate,
  renderJson,
  renderMarkdown,
  renderSvg,
  RSS_LIMIT_BYTES,
  secs,
  type BenchReport,
  type Machine,
} from './report';
import { runScaling, sizeLabel, type ScalingResult } from './scaling';
import { deleteStagedObjects } from './staging-cleanup';
import { runTransport, TRANSPORT_RECORD_BYTES, type TransportResult } from './transport';
import {
  INVOCATION_SIZE,
  runSchema,
  runTables,
  TablelaneBench,
  workloadFor,
  type RunResult,
  type RunSpec,
} from './tablelane-runs';

const PRODUCERS = (process.env.BENCH_PRODUCERS ?? '1,4,16,32').split(',').map(Number);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 60_000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 20);
const NAIVE_SECONDS = Number(process.env.BENCH_NAIVE_SECONDS ?? 6);
const NAIVE_ROWS_PER_TRANSACTION = INVOCATION_SIZE;
const NAIVE_KEYS = 1000;
const SEED = Number(process.env.BENCH_SEED ?? 8);
const BACKLOG_CHANGES = Number(process.env.BENCH_BACKLOG_CHANGES ?? 1_000_000);
const TRANSPORT_RECORDS = Number(process.env.BENCH_TRANSPORT_RECORDS ?? 1_000_000);
const SCALING_ROWS = numbers(process.env.BENCH_SCALING_ROWS ?? '0,500000,1000000,10000000');
const SCALING_TOMBSTONES = Number(process.env.BENCH_SCALING_TOMBSTONES ?? 1_000_000);
const SCALING_BATCHES = Number(process.env.BENCH_SCALING_BATCHES ?? 10);
const SCALING_BATCH_ROWS = Number(process.env.BENCH_SCALING_BATCH_ROWS ?? 10_000);
const ALL_RUNS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
type Run = (typeof ALL_RUNS)[number];
const RUNS = selectRuns(process.env.BENCH_RUNS ?? ALL_RUNS.join(','));
const BACKLOG_VARIANTS: { variant: BacklogVariant; label: string }[] = [
  { variant: 'router + sinks', label: 'drain' },
  { variant: 'sinks alone', label: 'sinksonly' },
];
const CEILING_REPEATS = 3;
const PARTITIONS = 8;
const PORTS = { producer: 18180, router: 18183, sinks: [18182, 18184] };
const RESULTS = resolve(ROOT, 'bench/results');

/**
 * `npm run bench`: on this machine, in one run, (a) tablelane end to end at several producer
 * counts and once paced at half its best throughput, (b) the ceiling (the same changes merged
 * straight into PostgreSQL with COPY and merge), (c) the naive pattern of seed 000 at READ
 * COMMITTED and SERIALIZABLE, (d) a pre-produced backlog drained by router + sinks and by the
 * sinks alone, (e) the transport ceiling (Kafka's perf tools and kafkajs), (f) the cost of one
 * batch as the target grows (empty, 500k, 1M, 10M rows, 1M rows + 1M tombstones). BENCH_RUNS selects
 * runs ((b) needs (a)). Writes bench/results/latest.{json,md,svg}. Targets are reported,
 * not enforced: it exits non-zero only when the benchmark itself fails (e.g. a wrong warehouse).
 */
async function main(): Promise<number> {
  const began = Date.now();
  const startedStack = ensureStack();
  loadStackEnv();
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const workdir = resolve(ROOT, '.stack/bench', run);
  mkdirSync(workdir, { recursive: true });
  const prefix = `tl_bench_${run}`;
  const stagingPrefix = `bench-${run}`;
  const connection: PoolConfig = {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: process.env.PGDATABASE ?? 'test',
  };
  const pool = new Pool({ ...connection, max: 4 });
  const schemas: string[] = [];
  const failures: string[] = [];
  const verify = (what: string, differences: string[]) => {
    if (differences.length > 0)
      failures.push(`${what}: ${differences.length} differences, e.g. ${differences[0]}`);
  };
  console.log(
    `tablelane bench ${run} (logs in ${workdir})` +
      (RUNS.length < ALL_RUNS.length ? `; runs ${RUNS.join(', ')} (BENCH_RUNS)` : ''),
  );
  try {
    const specs: RunSpec[] = [
      { label: 'warm', producers: 4, changes: 2000 },
      ...PRODUCERS.map((producers) => ({ label: `p${producers}`, producers, changes: CHANGES })),
    ];
    const tablelane: RunResult[] = [];
    let halfRate: RunResult | undefined;

    // (a) tablelane end to end
    if (RUNS.includes('a')) {
      const labels = [...specs.map((s) => s.label), 'half'];
      schemas.push(...labels.map((l) => runSchema(prefix, l)), `${prefix}_state`);
      console.log('\n(a) tablelane end to end: router, 2 sinks and the gateway, 1 s flushes');
      const pipeline = await LocalPipeline.start({
        kind: 'bench',
        run,
        workdir,
        tables: labels.flatMap((l) => runTables(runSchema(prefix, l))),
        stateSchema: `${prefix}_state`,
        apiKeyTables: labels.map((l) => `${runSchema(prefix, l)}.*`),
        partitions: PARTITIONS,
        ports: PORTS,
        // Debug level adds one `batch committed` line per table batch: the commit times we join on.
        sinkEnv: { LOG_LEVEL: 'debug', S3_PREFIX: stagingPrefix },
      });
      try {
        const bench = new TablelaneBench(
          pipeline,
          pool,
          prefix,
          pipeline.sinks.map((_, i) => resolve(workdir, `sink-${i + 1}.log`)),
        );
        for (const [i, spec] of specs.entries()) {
          console.log(
            `  ${spec.label === 'warm' ? 'warm-up' : `${spec.producers} producers`}: ~${spec.changes} changes`,
          );
          const result = await bench.run(spec, SEED + i);
          verify(`tablelane ${spec.label}`, result.differences);
          console.log(`    ${summary(result)}`);
          if (spec.label !== 'warm') tablelane.push(result);
        }
        const best = fastest(tablelane);
        const half = best.changesPerSecond / 2;
        const pacedProducers = Math.max(...PRODUCERS);
        console.log(
          `  paced at half the best (${rate(half)} changes/s) by ${pacedProducers} producers for ${PACED_SECONDS} s`,
        );
        halfRate = await bench.run(
          {
            label: 'half',
            producers: pacedProducers,
            changes: half * PACED_SECONDS,
            changesPerSecond: half,
            warmupMs: 2000,
          },
          SEED + specs.length,
        );
        verify('tablelane paced', halfRate.differences);
        console.log(`    ${summary(halfRate)}`);
      } finally {
        await pipeline.stop();
      }
    }

    // (b) the ceiling: the rows of the best run, in the batches its sinks made
    const ceilings: CeilingResult[] = [];
    let ceiling: CeilingResult | undefined;
    if (RUNS.includes('b') && tablelane.length === 0) {
      console.log('\n(b) ceiling: skipped, it replays the best run of (a) (add a to BENCH_RUNS)');
    } else if (RUNS.includes('b')) {
      const best = fastest(tablelane);
      const bestIndex = specs.findIndex((s) => s.label === best.label);
      console.log(
        `\n(b) ceiling: the ${best.producers}-producer run's changes in its sinks' batch sizes, COPY + merge straight into PostgreSQL (${CEILING_REPEATS} times)`,
      );
      for (let repeat = 1; repeat <= CEILING_REPEATS; repeat++) {
        const ceilingSchema = `${prefix}_ceiling${repeat}`;
        schemas.push(ceilingSchema, `${ceilingSchema}_state`);
        const result = await runCeiling(
          pool,
          connection,
          workloadFor(ceilingSchema, specs[bestIndex]!, SEED + bestIndex),
          `${ceilingSchema}_state`,
          (table) => best.meanBatchChanges[table] ?? 1000,
        );
        verify(`ceiling ${repeat}`, result.differences);
        ceilings.push(result);
        console.log(
          `    ${rate(result.changesPerSecond)} changes/s (${result.changes} changes in ${result.seconds.toFixed(2)} s, ${result.batches} batches)`,
        );
      }
      // The median of the repeats: one short run is at the mercy of a checkpoint or autovacuum.
      ceiling = [...ceilings].sort((a, b) => a.changesPerSecond - b.changesPerSecond)[
        Math.floor(ceilings.length / 2)
      ]!;
    }

    // (c) the naive pattern of seed 000
    const naive: NaiveResult[] = [];
    if (RUNS.includes('c')) {
      const naiveSchema = `${prefix}_naive`;
      schemas.push(naiveSchema);
      console.log(
        `\n(c) naive pattern of seed 000: ${NAIVE_SECONDS} s per setting, ${NAIVE_ROWS_PER_TRANSACTION} rows per transaction`,
      );
      for (const isolation of ['read committed', 'serializable'] as Isolation[]) {
        for (const writers of PRODUCERS) {
          const result = await runNaive(pool, connection, {
            schema: naiveSchema,
            writers,
            isolation,
            durationMs: NAIVE_SECONDS * 1000,
            rowsPerTransaction: NAIVE_ROWS_PER_TRANSACTION,
            keys: NAIVE_KEYS,
            seed: SEED,
          });
          naive.push(result);
          console.log(
            `    ${isolation.padEnd(14)} ${String(writers).padStart(2)} writers: ${rate(result.rowsPerSecond)} rows/s, ` +
              `${result.duplicateRows} duplicate rows, ${result.serializationFailures} serialization failures, ${result.deadlocks} deadlocks`,
          );
        }
      }
    }

    // (d) backlog drain
    const backlog: BacklogResult[] = [];
    if (RUNS.includes('d')) {
      console.log(
        `\n(d) backlog drain: ${BACKLOG_CHANGES} changes produced first, then router + sinks, and the sinks alone on a pre-routed changes topic`,
      );
      for (const { variant, label } of BACKLOG_VARIANTS) {
        schemas.push(runSchema(prefix, label), `${runSchema(prefix, label)}_state`);
        console.log(`  ${variant}`);
        const result = await runBacklog({
          variant,
          label,
          run,
          workdir,
          schemaPrefix: prefix,
          changes: BACKLOG_CHANGES,
          // One seed for both variants: the same changes, each into its own schema.
          seed: SEED + 100,
          partitions: PARTITIONS,
          ports: PORTS,
          sinkEnv: { LOG_LEVEL: 'debug', S3_PREFIX: stagingPrefix },
          pool,
        });
        for (const phase of result.phases)
          if (phase.differences) verify(`backlog ${phase.phase}`, phase.differences);
        backlog.push(result);
      }
    }

    // (e) transport ceiling
    let transport: TransportResult[] = [];
    if (RUNS.includes('e')) {
      console.log(
        `\n(e) transport ceiling: ${TRANSPORT_RECORDS} records of ${TRANSPORT_RECORD_BYTES} bytes, Kafka's perf tools and kafkajs`,
      );
      transport = await runTransport({ run, records: TRANSPORT_RECORDS, partitions: PARTITIONS });
    }

    // (f) scaling: one batch's cost as the target grows
    let scaling: ScalingResult | undefined;
    if (RUNS.includes('f') && SCALING_ROWS.length + (SCALING_TOMBSTONES > 0 ? 1 : 0) > 0) {
      const scalingSchema = `${prefix}_scaling`;
      schemas.push(scalingSchema, `${scalingSchema}_state`);
      const targets = [
        ...SCALING_ROWS.map((rows) => (rows === 0 ? 'empty' : sizeLabel(rows))),
        ...(SCALING_TOMBSTONES > 0 ? [`${sizeLabel(SCALING_TOMBSTONES)} + as many tombstones`] : []),
      ];
      console.log(
        `\n(f) scaling: ${SCALING_BATCHES} batches of ${SCALING_BATCH_ROWS} rows per target (${targets.join(', ')}); ` +
          'shrink with BENCH_SCALING_ROWS and BENCH_SCALING_TOMBSTONES, skip with BENCH_RUNS',
      );
      scaling = await runScaling({
        pool,
        connection,
        schema: scalingSchema,
        sizes: SCALING_ROWS,
        tombstoneCase: SCALING_TOMBSTONES,
        batches: SCALING_BATCHES,
        rowsPerBatch: SCALING_BATCH_ROWS,
        seed: SEED + 200,
        plansFile: resolve(workdir, 'scaling-plans.json'),
      });
      console.log(`    ${scaling.seconds.toFixed(0)} s; full plans in ${scaling.plansFile}`);
    }

    const report: BenchReport = {
      generatedAt: new Date().toISOString(),
      durationSeconds: (Date.now() - began) / 1000,
      machine: await machine(pool),
      runs: RUNS,
      settings: {
        producerCounts: PRODUCERS,
        changesPerRun: CHANGES,
        changesPerInvocation: INVOCATION_SIZE,
        flushMaxAgeMs: 1000,
        sinks: 2,
        partitions: PARTITIONS,
        pacedSeconds: PACED_SECONDS,
        pacedWarmupExcludedMs: 2000,
        naiveSeconds: NAIVE_SECONDS,
        naiveRowsPerTransaction: NAIVE_ROWS_PER_TRANSACTION,
        naiveKeys: NAIVE_KEYS,
        ceilingRepeats: CEILING_REPEATS,
        ceilingChangesPerSecond: ceilings.map((c) => Math.round(c.changesPerSecond)),
        backlogChanges: BACKLOG_CHANGES,
        backlogSendSize: BACKLOG_BATCH,
        transportRecords: TRANSPORT_RECORDS,
        transportRecordBytes: TRANSPORT_RECORD_BYTES,
        scalingRows: SCALING_ROWS,
        scalingTombstones: SCALING_TOMBSTONES,
        scalingBatches: SCALING_BATCHES,
        scalingBatchRows: SCALING_BATCH_ROWS,
        rssLimitBytes: RSS_LIMIT_BYTES,
        seed: SEED,
      },
      tablelane,
      halfRate,
      ceiling,
      naive,
      backlog,
      transport,
      scaling,
      targets: judgeTargets(tablelane, halfRate, ceiling, backlog, scaling),
      failures,
    };
    const markdown = renderMarkdown(report);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(resolve(RESULTS, 'latest.json'), renderJson(report));
    writeFileSync(resolve(RESULTS, 'latest.md'), markdown);
    const svg = renderSvg(report);
    if (svg) writeFileSync(resolve(RESULTS, 'latest.svg'), svg);
    console.log(`\n${markdown}`);
    console.log(
      `wrote bench/results/latest.{json,md,svg} after ${((Date.now() - began) / 1000).toFixed(0)} s`,
    );
  } finally {
    for (const schema of schemas)
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    await deleteStagedObjects(`${stagingPrefix}/`).catch(() => undefined);
    if (startedStack) stopStack();
  }
  if (failures.length > 0) {
    console.error(
      `FAIL: the warehouse does not equal the model in ${failures.length} run(s):\n  ${failures.join('\n  ')}`,
    );
    return 1;
  }
  return 0;
}

/** `1,2,3` as numbers; empty or `off` is none. */
function numbers(list: string): number[] {
  if (list.trim() === '' || list.trim() === 'off') return [];
  return list.split(',').map((item) => {
    const value = Number(item.trim());
    if (!Number.isInteger(value) || value < 0) throw new Error(`not a row count: ${JSON.stringify(item)}`);
    return value;
  });
}

/** BENCH_RUNS: the runs to do, by letter (`a,b,c,d,e,f`, the default, is all of them). */
function selectRuns(list: string): Run[] {
  const runs = list
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
  const unknown = runs.filter((r) => !(ALL_RUNS as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new Error(`BENCH_RUNS: unknown run(s) ${unknown.join(', ')}; the runs are ${ALL_RUNS.join(', ')}`);
  return ALL_RUNS.filter((r) => runs.includes(r));
}

function fastest(runs: RunResult[]): RunResult {
  return runs.reduce((a, b) => (b.changesPerSecond > a.changesPerSecond ? b : a));
}

function summary(r: RunResult): string {
  return (
    `${r.changes} changes in ${r.seconds.toFixed(1)} s = ${rate(r.changesPerSecond)} changes/s; ` +
    `p50 ${secs(r.latency.p50)} p95 ${secs(r.latency.p95)} p99 ${secs(r.latency.p99)} (${r.latencySource}); ` +
    `sink RSS ${(r.sinkPeakRssBytes / 1024 / 1024).toFixed(0)} MB; ${r.differences.length === 0 ? 'warehouse = model' : `${r.differences.length} DIFFERENCES`}`
  );
}

async function machine(pool: Pool): Promise<Machine> {
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    os: `${type()} ${release()}`,
    node: process.version,
    postgres: `PostgreSQL ${rows[0]?.server_version.split(' ')[0] ?? '?'}`,
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);

import { diffWarehouse, generateWorkload } from '@app/simulation';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pool } from 'pg';
import { LocalPipeline } from '../pipeline/local-pipeline';
import { ensureStack, loadStackEnv, ROOT, stopStack } from '../pipeline/stack';
import { runFleet, type FleetProgress } from './lambda-fleet';
import { histogramQuantile, sum, type Sample } from './prometheus-text';

const LAMBDAS = Number(process.env.DEMO_LAMBDAS ?? 32);
const CHANGES_PER_LAMBDA = Number(process.env.DEMO_CHANGES_PER_LAMBDA ?? 400);
const PARTITIONS = 8;
const PORTS = { producer: 18080, router: 18083, sinks: [18082, 18084] };

/**
 * `npm run demo`: the local stack, the three apps, 32 simulated Lambda functions writing
 * upserts and deletes with versions to several tables at once, live progress, and a
 * verification of the warehouse against an independent model. Exits non-zero if it fails.
 */
async function main(): Promise<number> {
  const startedStack = ensureStack();
  loadStackEnv();
  const run = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const workdir = resolve(ROOT, '.stack/demo', run);
  mkdirSync(workdir, { recursive: true });
  const schema = 'tablelane_demo';
  const workload = generateWorkload(schema, LAMBDAS, CHANGES_PER_LAMBDA, Date.now() % 100_000);

  const pool = new Pool({
    host: process.env.PGHOST ?? '127.0.0.1',
    user: process.env.PGUSER ?? 'postgres',
    database: process.env.PGDATABASE ?? 'test',
  });
  await pool.query(
    `DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_state" CASCADE`,
  );
  console.log(
    `tablelane demo ${run}: ${LAMBDAS} Lambda functions x ${CHANGES_PER_LAMBDA} changes into ${workload.tables.length} tables (logs in ${workdir})`,
  );
  let verdict: number;
  let pipeline: LocalPipeline | undefined;
  try {
    pipeline = await LocalPipeline.start({
      kind: 'demo',
      run,
      workdir,
      tables: workload.tables,
      stateSchema: `${schema}_state`,
      apiKeyTables: [`${schema}.*`],
      partitions: PARTITIONS,
      ports: PORTS,
    });
    const { config } = pipeline;
    const progress: FleetProgress = { sent: 0, failedInvocations: 0 };
    const started = Date.now();
    const total = workload.producers.reduce((n, events) => n + events.length, 0);
    let fleetDone = false;
    const fleet = runFleet(
      workload,
      { config, gatewayUrl: pipeline.gatewayUrl, apiKey: pipeline.apiKey, batchSize: 20 },
      progress,
    ).finally(() => (fleetDone = true));

    let caughtUpAt = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const lag = await pipeline.lag();
      const metrics = await pipeline.sinkMetrics();
      const merged = sum(metrics, 'tablelane_sink_rows_merged_total');
      const lanes = Object.entries(lag.byTable)
        .map(([table, behind]) => `${table.split('.')[1]}=${behind}`)
        .join(' ');
      console.log(
        `  ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s  produced ${progress.sent}/${total}  ingest lag ${lag.ingest}  merged rows ${merged}  lag per table: ${lanes}`,
      );
      pipeline.assertRunning();
      if (fleetDone && lag.ingest === 0 && lag.total === 0) {
        caughtUpAt = Date.now();
        break;
      }
      if (Date.now() - started > 600_000) throw new Error('the pipeline did not catch up within 10 minutes');
    }
    await fleet;
    verdict = await report(
      pool,
      workload,
      await pipeline.sinkMetrics(),
      total,
      caughtUpAt - started,
      progress,
    );
  } finally {
    await pipeline?.stop();
    await pool.end();
    if (startedStack) stopStack();
  }
  return verdict;
}

async function report(
  pool: Pool,
  workload: ReturnType<typeof generateWorkload>,
  metrics: Sample[],
  total: number,
  millis: number,
  progress: FleetProgress,
): Promise<number> {
  const differences = await diffWarehouse(pool, workload);
  const duplicates = differences.filter(
    (d) => d.includes('duplicate') || / present [2-9]\d* times/.test(d),
  ).length;
  const lost = differences.filter((d) => d.includes('missing') || d.includes('present 0 times')).length;
  const wrong = differences.length - duplicates - lost;
  const serializationFailures = sum(
    metrics,
    'tablelane_sink_retries_total',
    (l) => l.code === '40001' || l.code === '40P01',
  );
  const expectedRows =
    [...workload.expected.values()].reduce((n, rows) => n + rows.size, 0) +
    [...workload.expectedAppends.values()].reduce((n, ids) => n + ids.length, 0);
  const q = (p: number) => histogramQuantile(metrics, 'tablelane_end_to_end_latency_seconds', p);
  const seconds = millis / 1000;
  const lines = [
    '',
    'verification',
    `  changes produced            ${total} by ${workload.producers.length} Lambda functions (${progress.failedInvocations} invocations retried)`,
    `  rows expected / differences ${expectedRows} / ${differences.length}`,
    `  duplicate keys              ${duplicates}   (must be 0)`,
    `  lost changes                ${lost}   (must be 0)`,
    `  wrong values                ${wrong}   (must be 0)`,
    `  serialization failures      ${serializationFailures}   (must be 0)`,
    `  throughput                  ${(total / seconds).toFixed(0)} changes/s end to end (${seconds.toFixed(1)} s until lag 0)`,
    `  latency event -> commit     p50 ${fmt(q(0.5))}  p95 ${fmt(q(0.95))}  p99 ${fmt(q(0.99))}`,
  ];
  for (const line of lines) console.log(line);
  if (differences.length > 0)
    console.log(`  first differences:\n    ${differences.slice(0, 10).join('\n    ')}`);
  const passed = differences.length === 0 && serializationFailures === 0;
  console.log(
    passed ? '\nPASS: the warehouse equals the model.' : '\nFAIL: the warehouse does not equal the model.',
  );
  return passed ? 0 : 1;
}

const fmt = (seconds: number | undefined) =>
  seconds === undefined ? 'n/a' : `${(seconds * 1000).toFixed(0)} ms`;

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

import '../../libs/kafka/src/kafkajs-read-committed';
import { parseConfig, type TablelaneConfig } from '@app/config';
import { laneOf } from '@app/kafka';
import { diffWarehouse, generateWorkload } from '@app/simulation';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Pool } from 'pg';
import { stringify } from 'yaml';
import { AppProcess, waitForHttp } from './app-process';
import { runFleet, type FleetProgress } from './lambda-fleet';
import { histogramQuantile, parsePrometheus, sum, type Sample } from './prometheus-text';

const ROOT = resolve(__dirname, '../../..');
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
  const topics = {
    ingest: `tablelane.demo.${run}.ingest`,
    changes: `tablelane.demo.${run}.changes`,
    dlq: `tablelane.demo.${run}.dlq`,
  };
  const workload = generateWorkload(schema, LAMBDAS, CHANGES_PER_LAMBDA, Date.now() % 100_000);
  const rawConfig = { topics, warehouse: { stateSchema: `${schema}_state` }, tables: workload.tables };
  const configPath = resolve(workdir, 'tablelane.yaml');
  writeFileSync(configPath, stringify(rawConfig));
  const config = parseConfig(rawConfig);

  const pool = new Pool({
    host: process.env.PGHOST ?? '127.0.0.1',
    user: process.env.PGUSER ?? 'postgres',
    database: process.env.PGDATABASE ?? 'test',
  });
  await pool.query(
    `DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_state" CASCADE`,
  );
  const kafka = new Kafka({
    clientId: 'tablelane-demo',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: topics.ingest, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: topics.changes, numPartitions: PARTITIONS, replicationFactor: 1 },
      { topic: topics.dlq, numPartitions: 1, replicationFactor: 1 },
    ],
  });

  const apiKey = randomBytes(16).toString('hex');
  const common = { TABLELANE_CONFIG: configPath, LOG_LEVEL: 'info' };
  const groups = { router: `tablelane-demo-router-${run}`, sink: `tablelane-demo-sink-${run}` };
  console.log(
    `tablelane demo ${run}: ${LAMBDAS} Lambda functions x ${CHANGES_PER_LAMBDA} changes into ${config.tables.length} tables (logs in ${workdir})`,
  );
  const apps = [
    new AppProcess(
      'router',
      'router',
      {
        ...common,
        PORT: String(PORTS.router),
        TABLELANE_ROUTER_GROUP: groups.router,
        TABLELANE_ROUTER_TRANSACTIONAL_ID: groups.router,
      },
      resolve(workdir, 'router.log'),
    ),
    ...PORTS.sinks.map(
      (port, i) =>
        new AppProcess(
          `sink-${i + 1}`,
          'sink',
          { ...common, PORT: String(port), TABLELANE_SINK_GROUP: groups.sink },
          resolve(workdir, `sink-${i + 1}.log`),
        ),
    ),
    new AppProcess(
      'producer',
      'producer',
      {
        ...common,
        PORT: String(PORTS.producer),
        TABLELANE_API_KEYS: JSON.stringify([
          {
            name: 'demo',
            sha256: createHash('sha256').update(apiKey).digest('hex'),
            tables: [`${schema}.*`],
          },
        ]),
      },
      resolve(workdir, 'producer.log'),
    ),
  ];
  let verdict: number;
  try {
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${PORTS.producer}/readyz`, 60_000),
      waitForHttp(`http://127.0.0.1:${PORTS.router}/readyz`, 60_000),
      ...PORTS.sinks.map((port) => waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000)),
    ]);
    const progress: FleetProgress = { sent: 0, failedInvocations: 0 };
    const started = Date.now();
    const total = workload.producers.reduce((n, events) => n + events.length, 0);
    let fleetDone = false;
    const fleet = runFleet(
      workload,
      { config, gatewayUrl: `http://127.0.0.1:${PORTS.producer}`, apiKey, batchSize: 20 },
      progress,
    ).finally(() => (fleetDone = true));

    let caughtUpAt = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const lag = await laneLag(admin, groups, topics, config);
      const metrics = await sinkMetrics();
      const merged = sum(metrics, 'tablelane_sink_rows_merged_total');
      const lanes = Object.entries(lag.byTable)
        .map(([table, behind]) => `${table.split('.')[1]}=${behind}`)
        .join(' ');
      console.log(
        `  ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s  produced ${progress.sent}/${total}  ingest lag ${lag.ingest}  merged rows ${merged}  lag per table: ${lanes}`,
      );
      if (apps.some((app) => !app.running))
        throw new Error(
          `an app exited early: ${apps
            .filter((a) => !a.running)
            .map((a) => a.name)
            .join(', ')} (see ${workdir})`,
        );
      if (fleetDone && lag.ingest === 0 && lag.total === 0) {
        caughtUpAt = Date.now();
        break;
      }
      if (Date.now() - started > 600_000) throw new Error('the pipeline did not catch up within 10 minutes');
    }
    await fleet;
    verdict = await report(pool, workload, await sinkMetrics(), total, caughtUpAt - started, progress);
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await admin
      .deleteTopics({ topics: [...Object.values(topics), `${topics.changes}.lanes`] })
      .catch(() => undefined);
    await admin.disconnect();
    await pool.end();
    if (startedStack) spawnSync('bash', ['scripts/stack/down.sh'], { cwd: ROOT, stdio: 'inherit' });
  }
  return verdict;
}

/** The stack's client settings (.stack/env, written by stack:up), unless already set. */
function loadStackEnv(): void {
  const path = resolve(ROOT, '.stack/env');
  if (!existsSync(path)) return;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]!] === undefined)
      process.env[match[1]!] = match[2]!.replace(/^['"]|['"]$/g, '');
  }
}

/** Starts the local stack unless every component already answers; says whether it did. */
function ensureStack(): boolean {
  if (spawnSync('bash', ['scripts/stack/status.sh'], { cwd: ROOT, stdio: 'ignore' }).status === 0)
    return false;
  console.log('starting the local stack (npm run stack:up) ...');
  const up = spawnSync('bash', ['scripts/stack/up.sh'], { cwd: ROOT, stdio: 'inherit' });
  if (up.status !== 0) throw new Error('the local stack did not start; see .stack/logs');
  return true;
}

async function laneLag(
  admin: Admin,
  groups: { router: string; sink: string },
  topics: { ingest: string; changes: string },
  config: TablelaneConfig,
) {
  const behind = async (group: string, topic: string) => {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
    ]);
    const done = new Map(committed[0]!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return new Map(ends.map((p) => [p.partition, Number(p.high) - (done.get(p.partition) ?? 0)]));
  };
  const ingest = [...(await behind(groups.router, topics.ingest)).values()].reduce((a, b) => a + b, 0);
  const lanes = await behind(groups.sink, topics.changes);
  const byTable = Object.fromEntries(
    config.tables.map((t) => [t.name, lanes.get(laneOf(t, PARTITIONS)) ?? 0]),
  );
  return { ingest, total: [...lanes.values()].reduce((a, b) => a + b, 0), byTable };
}

async function sinkMetrics(): Promise<Sample[]> {
  const texts = await Promise.all(
    PORTS.sinks.map((port) =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      ),
    ),
  );
  return texts.flatMap(parsePrometheus);
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

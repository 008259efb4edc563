import {
  cliSettings,
  findTable,
  identifierProblem,
  isIdentifier,
  readVariables,
  type Environment,
  type RuntimeSettings,
  type TableContract,
  type TablelaneConfig,
} from '@app/config';
import {
  brokerCount,
  createMissingTopics,
  laneBaselineTopic,
  openSnapshotWriter,
  planTopics,
  readLaneBaseline,
  readSnapshotProgress,
  snapshotCancel,
  snapshotProgressTopic,
  type KafkaAdmin,
  type KafkaClient,
  type SnapshotProgress,
} from '@app/kafka';
import { createLogger } from '@app/observability';
import { valueRulesFor, type SnapshotFrom } from '@app/warehouse';
import { hostname } from 'node:os';
import { UsageError, type CliArgs } from './cli-args';
import { requireTopics } from './require-topics';
import {
  logReporter,
  statusRow,
  terminalReporter,
  type SnapshotStatusRow,
} from './snapshot/snapshot-display';
import { SnapshotRefused } from './snapshot/snapshot-errors';
import { snapshotSources, type SourceChoice } from './snapshot/snapshot-sources';
import { runSnapshot, type SnapshotLimits, type SnapshotSummary } from './snapshot/run-snapshot';

export interface SnapshotContext {
  config: TablelaneConfig;
  runtime: RuntimeSettings;
  kafka: KafkaClient;
  admin: KafkaAdmin;
  env: Environment;
}

export interface SnapshotOptions {
  contract: TableContract;
  source: SourceChoice;
  limits: SnapshotLimits;
  wait: boolean;
}

const DEFAULT_LIMITS: SnapshotLimits = {
  chunkRows: 10_000,
  chunkBytes: 4 * 1024 * 1024,
  heartbeatMs: 10_000,
};
const DEFAULT_MAX_FILE_SIZE_MB = 256;

/** `--table T` of every snapshot command: a merge table of the contracts. */
export function snapshotTable(args: CliArgs, config: TablelaneConfig): TableContract {
  const name = args.text('table');
  if (name === undefined) throw new UsageError('--table is required: the table (schema.table) to snapshot');
  const contract = findTable(config, name);
  if (!contract)
    throw new UsageError(
      `--table ${name} is not a table of the contracts (${config.source ?? 'TABLELANE_CONFIG'})`,
    );
  if (contract.mode !== 'merge')
    throw new UsageError(`--table ${name} is an append table: a snapshot refreshes a merge table in place`);
  return contract;
}

/**
 * `tablelane snapshot`'s flags: the table, the source (postgres: `--source-table schema.table`,
 * the target's name by default, or `--query`; the URL from --source-url or SNAPSHOT_SOURCE_URL;
 * redshift: the same through UNLOAD), chunk and heartbeat sizes, --wait.
 */
export function snapshotOptions(args: CliArgs, config: TablelaneConfig, env: Environment): SnapshotOptions {
  const contract = snapshotTable(args, config);
  const kind = args.text('source') ?? 'postgres';
  if (kind !== 'postgres' && kind !== 'redshift')
    throw new UsageError(`--source must be postgres or redshift, not ${kind}`);
  const sourceTable = args.text('source-table');
  const query = args.text('query');
  if (sourceTable !== undefined && query !== undefined)
    throw new UsageError('give --source-table or --query, not both');
  const from: SnapshotFrom = query !== undefined ? { query } : relationOf(sourceTable ?? contract.name);
  const flagUrl = args.text('source-url');
  const read = readVariables(env, ['SNAPSHOT_SOURCE_URL', 'SNAPSHOT_S3_PREFIX']);
  const url = flagUrl ?? read.SNAPSHOT_SOURCE_URL;
  const limits: SnapshotLimits = {
    chunkRows: args.positiveInt('chunk-rows') ?? DEFAULT_LIMITS.chunkRows,
    chunkBytes: args.positiveInt('chunk-bytes') ?? DEFAULT_LIMITS.chunkBytes,
    heartbeatMs: args.positiveInt('heartbeat-ms') ?? DEFAULT_LIMITS.heartbeatMs,
  };
  return {
    contract,
    source: {
      kind,
      from,
      ...(url && { url: { value: url, from: flagUrl ? '--source-url' : 'SNAPSHOT_SOURCE_URL' } }),
      rowsPerQuery: limits.chunkRows,
      s3Prefix: read.SNAPSHOT_S3_PREFIX.replace(/\/+$/, ''),
      maxFileSizeMb: args.positiveInt('max-file-size-mb') ?? DEFAULT_MAX_FILE_SIZE_MB,
    },
    limits,
    wait: args.flag('wait'),
  };
}

/** `schema.table`, both parts identifiers as the contracts allow them (they are quoted, never escaped). */
function relationOf(name: string): SnapshotFrom {
  const [schema, table, ...rest] = name.split('.');
  if (table === undefined || rest.length > 0)
    throw new UsageError(`--source-table ${name} must be schema.table`);
  for (const part of [schema, table])
    if (!isIdentifier(part)) throw new UsageError(identifierProblem('--source-table', part));
  return { schema: schema!, table };
}

/** Runs a snapshot of the table to its end (or resumes the one a dead process left). */
export async function runSnapshotCommand(
  ctx: SnapshotContext,
  options: SnapshotOptions,
  stop: AbortSignal,
): Promise<SnapshotSummary> {
  const { config, kafka, admin } = ctx;
  const { contract } = options;
  const table = contract.name;
  const { lane, progressTopic } = await snapshotTopics(ctx, table);
  const source = snapshotSources(options.source, contract, ctx.runtime, ctx.env);
  const reporter = process.stderr.isTTY
    ? terminalReporter(process.stderr, Date.now)
    : logReporter(createLogger('cli', process.stderr), Date.now);
  return runSnapshot({
    config,
    contract,
    rules: valueRulesFor(config.warehouse.kind),
    limits: options.limits,
    progress: async (isolation) =>
      (await readSnapshotProgress(kafka, admin, progressTopic, isolation)).get(table),
    openWriter: () =>
      openSnapshotWriter({ kafka, admin, table, changesTopic: config.topics.changes, lane, progressTopic }),
    source,
    wait: options.wait,
    owner: { host: hostname(), pid: process.pid },
    reporter,
    stop,
  });
}

/** The latest snapshot of every table (or of one), as committed. */
export async function snapshotStatus(ctx: SnapshotContext, table?: string): Promise<SnapshotStatusRow[]> {
  const topic = snapshotProgressTopic(ctx.config.topics.changes);
  const latest = await readSnapshotProgress(ctx.kafka, ctx.admin, topic, 'committed');
  const now = Date.now();
  return [...latest.values()]
    .filter((p) => table === undefined || p.table === table)
    .sort((a, b) => a.table.localeCompare(b.table))
    .map((p) => statusRow(p, now));
}

export type CancelOutcome =
  { cancelled: true; progress: SnapshotProgress } | { cancelled: false; latest?: SnapshotProgress };

/**
 * Cancels the table's running snapshot: takes its transactional id (which fences the running
 * process, aborting its open chunk; it stops at its next commit), then writes the cancel marker
 * onto the lane and the cancelled state, in one transaction.
 */
export async function cancelSnapshot(ctx: SnapshotContext, table: string): Promise<CancelOutcome> {
  const { kafka, admin, config } = ctx;
  const { lane, progressTopic } = await snapshotTopics(ctx, table);
  const writer = await openSnapshotWriter({
    kafka,
    admin,
    table,
    changesTopic: config.topics.changes,
    lane,
    progressTopic,
  });
  try {
    const latest = (await readSnapshotProgress(kafka, admin, progressTopic, 'committed')).get(table);
    if (latest?.state !== 'running') return { cancelled: false, ...(latest && { latest }) };
    const progress: SnapshotProgress = {
      ...latest,
      state: 'cancelled',
      owner: null,
      heartbeatAt: new Date().toISOString(),
    };
    await writer.commit([JSON.stringify(snapshotCancel(table, latest.run))], progress);
    return { cancelled: true, progress };
  } finally {
    await writer.close().catch(() => undefined);
  }
}

/**
 * The table's lane (from the lane baseline the router recorded: a snapshot must land where the
 * router puts the table's changes) and the progress topic, created when missing.
 */
async function snapshotTopics(
  ctx: SnapshotContext,
  table: string,
): Promise<{ lane: number; progressTopic: string }> {
  const { config, kafka, admin } = ctx;
  const { changes } = config.topics;
  await requireTopics(admin, [changes]);
  const lanesTopic = laneBaselineTopic(changes, cliSettings(ctx.env).lanesTopic);
  const lane = (await readLaneBaseline(kafka, admin, lanesTopic, changes))?.lanes[table];
  if (lane === undefined)
    throw new SnapshotRefused(
      `the lane baseline of ${changes} (topic ${lanesTopic}) has no lane for ${table}: a router records it ` +
        'when it starts with a contract declaring the table; start the routers with this contract first',
    );
  const planned = planTopics(config, {}, await brokerCount(admin)).topics.find(
    (t) => t.role === 'snapshots',
  )!;
  await createMissingTopics(admin, [planned]);
  return { lane, progressTopic: planned.name };
}

export function printSummary(summary: SnapshotSummary): void {
  console.log(
    `snapshot ${summary.run} of ${summary.table} done: ${summary.rows} rows` +
      `${summary.resumed ? ` (resumed; ${summary.rowsWritten} written by this run)` : ''} ` +
      `in ${summary.seconds.toFixed(1)} s (${Math.round(summary.rowsPerSecond)} rows/s)`,
  );
}

export function printStatus(rows: SnapshotStatusRow[]): void {
  if (rows.length === 0) console.log('no snapshot was ever taken');
  else console.table(rows);
}

export function printCancel(table: string, outcome: CancelOutcome): void {
  if (outcome.cancelled)
    console.log(`cancelled snapshot ${outcome.progress.run} of ${table} after ${outcome.progress.rows} rows`);
  else
    console.error(
      `no snapshot of ${table} is running` +
        (outcome.latest ? ` (the latest, ${outcome.latest.run}, is ${outcome.latest.state})` : ''),
    );
}

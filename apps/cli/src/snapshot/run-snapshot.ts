import type { TableContract, TablelaneConfig } from '@app/config';
import {
  ChangeRejected,
  NO_TRANSFORMS,
  prepareChange,
  type ChangeEvent,
  type PreparedChange,
  type WarehouseValueRules,
} from '@app/contracts';
import {
  heldByLiveProcess,
  snapshotBegin,
  snapshotEnd,
  snapshotRow,
  SnapshotFenced,
  type SnapshotProgress,
  type SnapshotWriter,
} from '@app/kafka';
import type { SnapshotSource } from '@app/warehouse';
import { randomBytes } from 'node:crypto';
import { SnapshotRefused, SnapshotRowRejected, SnapshotStopped } from './snapshot-errors';
import { HeartbeatCommitter } from './heartbeat-committer';

export interface SnapshotLimits {
  /** A chunk (one Kafka transaction) ends at this many rows… */
  chunkRows: number;
  /** …or before its events would pass this many bytes, whichever comes first. */
  chunkBytes: number;
  /** The progress record is written at least this often, between chunks too. */
  heartbeatMs: number;
}

/** What a run reports as it goes: a bar on a terminal, log lines in a job. */
export interface SnapshotReporter {
  started(progress: SnapshotProgress, resumed: boolean): void;
  /** Another process holds the table's snapshot; this one waits (--wait). */
  waiting(progress: SnapshotProgress): void;
  /** A chunk committed (or the source told how many rows to expect). */
  progressed(progress: SnapshotProgress): void;
  finished(progress: SnapshotProgress): void;
}

export interface SnapshotRun {
  config: TablelaneConfig;
  contract: TableContract;
  rules: WarehouseValueRules;
  limits: SnapshotLimits;
  /** The table's latest progress record, as committed or with open transactions' too. */
  progress(isolation: 'committed' | 'uncommitted'): Promise<SnapshotProgress | undefined>;
  /** Connects the table's transactional producer, fencing earlier writers. */
  openWriter(): Promise<SnapshotWriter>;
  /** The source one run reads (a Redshift run UNLOADs into a folder of its own). */
  source(run: string): SnapshotSource;
  /** Wait for a running snapshot of the table to end instead of refusing. */
  wait: boolean;
  owner: { host: string; pid: number };
  reporter: SnapshotReporter;
  /** Aborted by SIGTERM or SIGINT: the run stops after the chunk in flight, resumable. */
  stop: AbortSignal;
  now?: () => number;
}

export interface SnapshotSummary {
  table: string;
  run: string;
  state: 'done';
  rows: number;
  /** Whether this process continued a run an earlier one started. */
  resumed: boolean;
  /** Rows this process wrote, and how fast. */
  rowsWritten: number;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * Reads the source and publishes it onto the table's lane as one full refresh: the begin marker,
 * every row in chunks, the end marker. Each chunk is one Kafka transaction with the progress
 * record, so after a crash the record says exactly which rows the lane holds, and the next run
 * resumes after them under the same run id (no second begin). Another live process of the table
 * is refused (or waited for); a dead one's run is resumed.
 */
export async function runSnapshot(run: SnapshotRun): Promise<SnapshotSummary> {
  const now = run.now ?? Date.now;
  const table = run.contract.name;
  await untilNoLiveWriter(run, now);
  const writer = await run.openWriter();
  let source: SnapshotSource | undefined;
  try {
    // After the fence: what committed is final, and no earlier process can add to it.
    const latest = await run.progress('committed');
    const resumed = latest?.state === 'running';
    const id = resumed ? latest.run : newRunId(table, now());
    source = run.source(id);
    const at = new Date(now()).toISOString();
    const progress: SnapshotProgress = resumed
      ? { ...latest, ...claim(run, at), source: adoptedSource(latest, source.description) }
      : {
          run: id,
          table,
          state: 'running',
          lastKey: null,
          rows: 0,
          startedAt: at,
          ...claim(run, at),
          source: source.description,
        };
    const committer = new HeartbeatCommitter(writer, run.limits.heartbeatMs, now);
    // A new run's begin marker makes it visible at once; a resumed one claims it back.
    await committer.commit(resumed ? [] : [JSON.stringify(snapshotBegin(table, id, now()))], progress);
    run.reporter.started(progress, resumed);
    const startedRows = progress.rows;
    const startedAt = now();
    const final = await publishRows(run, source, committer, progress);
    run.reporter.finished(final);
    const seconds = (now() - startedAt) / 1000;
    const rowsWritten = final.rows - startedRows;
    return {
      table,
      run: id,
      state: 'done',
      rows: final.rows,
      resumed,
      rowsWritten,
      seconds,
      rowsPerSecond: seconds > 0 ? rowsWritten / seconds : rowsWritten,
    };
  } catch (error) {
    throw await explained(run, error);
  } finally {
    await source?.close();
    await writer.close().catch(() => undefined);
  }
}

/** Refuses, or with --wait waits, while another live process writes a snapshot of the table. */
async function untilNoLiveWriter(run: SnapshotRun, now: () => number): Promise<void> {
  for (;;) {
    // Open transactions count: a live process may hold one while its last commit is older.
    const live = await run.progress('uncommitted');
    if (!live || !heldByLiveProcess(live, now())) return;
    if (!run.wait) throw new SnapshotRefused(runningMessage(live, now()), true);
    run.reporter.waiting(live);
    await sleep(live.heartbeatMs, run.stop);
    if (run.stop.aborted)
      throw new SnapshotStopped(
        'stopped while waiting for the running snapshot',
        'SNAPSHOT_INTERRUPTED',
        true,
      );
  }
}

export function runningMessage(live: SnapshotProgress, now: number): string {
  const age = ((now - Date.parse(live.heartbeatAt)) / 1000).toFixed(1);
  const owner = live.owner ? `pid ${live.owner.pid} on ${live.owner.host}` : 'no process';
  return (
    `a snapshot of ${live.table} is running since ${live.startedAt} (run ${live.run}, ${owner}, ` +
    `${live.rows} rows so far, last heartbeat ${age} s ago); wait for it (or pass --wait), ` +
    `or cancel it with \`tablelane snapshot cancel --table ${live.table}\``
  );
}

function claim(
  run: SnapshotRun,
  at: string,
): Pick<SnapshotProgress, 'heartbeatAt' | 'heartbeatMs' | 'owner'> {
  return { heartbeatAt: at, heartbeatMs: run.limits.heartbeatMs, owner: run.owner };
}

/**
 * The source a resumed run reads: the one it started with. A run that committed no row yet may
 * change its source (a typo fixed); one with rows would mix two sources in one refresh.
 */
function adoptedSource(
  latest: SnapshotProgress,
  asked: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  const same = (['kind', 'table', 'query'] as const).every((k) => latest.source[k] === asked[k]);
  if (same || latest.rows === 0) return asked;
  const describe = (s: Readonly<Record<string, string>>) => `${s.kind} ${s.table ?? s.query}`;
  throw new SnapshotRefused(
    `the snapshot of ${latest.table} to resume (run ${latest.run}, ${latest.rows} rows committed) reads ` +
      `${describe(latest.source)}, not ${describe(asked)}: run it with the same source to resume it, ` +
      `or cancel it first with \`tablelane snapshot cancel --table ${latest.table}\``,
  );
}

/** The rows, chunk by chunk, then the end marker; returns the final progress. */
async function publishRows(
  run: SnapshotRun,
  source: SnapshotSource,
  committer: HeartbeatCommitter,
  start: SnapshotProgress,
): Promise<SnapshotProgress> {
  const { contract, limits } = run;
  const table = contract.name;
  let progress = start;
  // A signal, or a heartbeat that failed (fenced by a cancel), ends the read in progress.
  const interrupt = () => void source.close();
  run.stop.addEventListener('abort', interrupt);
  committer.startHeartbeats(() => progress, interrupt);
  const stopped = () =>
    new SnapshotStopped(
      `stopped by a signal after ${progress.rows} rows committed (run ${progress.run}); ` +
        'run the same command again to resume it',
      'SNAPSHOT_INTERRUPTED',
      true,
    );
  let chunk: Chunk = { events: [], bytes: 0 };
  const flush = async (events: string[], state: SnapshotProgress['state']) => {
    const next: SnapshotProgress = {
      ...progress,
      state,
      rows: progress.rows + chunk.events.length,
      lastKey: chunk.lastKey ?? progress.lastKey,
      ...((chunk.position ?? progress.position) && { position: chunk.position ?? progress.position }),
      heartbeatAt: new Date(committer.now()).toISOString(),
      ...(state === 'done' && { owner: null }),
    };
    await committer.commit(events, next);
    progress = next;
    chunk = { events: [], bytes: 0 };
    run.reporter.progressed(progress);
  };
  try {
    const { total } = await source.prepare();
    committer.throwIfFailed();
    if (total !== undefined) {
      progress = { ...progress, total };
      run.reporter.progressed(progress);
    }
    const resume = {
      ...(progress.lastKey && { lastKey: progress.lastKey }),
      ...(progress.position && { position: progress.position }),
    };
    for await (const { row, position } of source.rows(resume)) {
      if (run.stop.aborted) throw stopped();
      const { event, change } = prepared(run, row);
      const value = JSON.stringify(snapshotRow(event, progress.run));
      const bytes = Buffer.byteLength(value);
      if (bytes > committer.maxEventBytes)
        throw new SnapshotRowRejected(
          'TOO_LARGE',
          table,
          keyOf(contract, row),
          `its change event is ${bytes} bytes; the changes topic takes at most ${committer.maxEventBytes}`,
        );
      if (chunk.events.length >= limits.chunkRows || chunk.bytes + bytes > limits.chunkBytes)
        await flush(chunk.events, 'running');
      chunk.events.push(value);
      chunk.bytes += bytes;
      chunk.lastKey = Object.fromEntries(contract.primaryKey.map((k) => [k, change.values[k] ?? null]));
      if (position) chunk.position = position;
    }
    committer.throwIfFailed();
    if (run.stop.aborted) throw stopped();
    const end = snapshotEnd(table, progress.run, progress.rows + chunk.events.length);
    await flush([...chunk.events, JSON.stringify(end)], 'done');
    return progress;
  } catch (error) {
    // A read ended by a failed heartbeat or a signal fails for that reason, not its own.
    const cause = committer.failure ?? (run.stop.aborted ? stopped() : error);
    // Let go of the run, so the next process resumes it at once; a fenced one cannot.
    if (!(cause instanceof SnapshotFenced)) await committer.release(progress).catch(() => undefined);
    throw cause;
  } finally {
    committer.stopHeartbeats();
    run.stop.removeEventListener('abort', interrupt);
  }
}

interface Chunk {
  events: string[];
  bytes: number;
  lastKey?: Record<string, string | null>;
  position?: { file: number; row: number };
}

/** The row as the upsert a producer would send, validated with the warehouse's value rules. */
function prepared(run: SnapshotRun, row: Record<string, unknown>) {
  const { config, contract, rules } = run;
  let result: PreparedChange;
  try {
    result = prepareChange(config, { table: contract.name, op: 'upsert', row }, NO_TRANSFORMS, rules);
  } catch (error) {
    if (!(error instanceof ChangeRejected)) throw error;
    throw new SnapshotRowRejected(error.code, contract.name, keyOf(contract, row), error.message, {
      cause: error,
    });
  }
  // No transforms are applied, so nothing is filtered: every row routes.
  const routed = result as Extract<PreparedChange, { kind: 'route' }>;
  return { event: routed.event as ChangeEvent & { op: 'upsert' }, change: routed.change };
}

function keyOf(contract: TableContract, row: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(contract.primaryKey.map((k) => [k, row[k] ?? null])));
}

/** `<table>@<UTC start, to the second>-<random>`: unique, sortable, readable in logs. */
function newRunId(table: string, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${table}@${stamp}-${randomBytes(3).toString('hex')}`;
}

/** A fence says who took over: `snapshot cancel`, or a newer snapshot of the table. */
async function explained(run: SnapshotRun, error: unknown): Promise<unknown> {
  if (!(error instanceof SnapshotFenced)) return error;
  const latest = await run.progress('committed').catch(() => undefined);
  const what =
    latest?.state === 'cancelled'
      ? `the snapshot ${latest.run} of ${error.table} was cancelled (tablelane snapshot cancel) after ${latest.rows} rows`
      : `another process took over the snapshot of ${error.table}${latest ? ` (run ${latest.run}, ${latest.state})` : ''}; this one stopped`;
  return new SnapshotStopped(what, 'SNAPSHOT_FENCED', false, { cause: error });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

import type { SnapshotProgress } from '@app/kafka';
import type { Logger } from '@app/observability';
import type { SnapshotReporter } from './run-snapshot';

/** Where a run stands, for a person or a log line. */
export interface ProgressFigures {
  table: string;
  rows: number;
  total?: number;
  /** Rows per second written by this process so far. */
  rowsPerSecond: number;
  /** Seconds left at the current rate, when the total is known. */
  etaSeconds?: number;
}

const BAR_WIDTH = 24;
/** A terminal line is redrawn at most four times a second. */
const REDRAW_MS = 250;
/** A job logs a progress line at most every five seconds. */
const LOG_EVERY_MS = 5_000;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** `1:02:03`, or `2:03` under an hour. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(rest)}` : `${m}:${pad(rest)}`;
}

/** `app.items [#######-----]  52.1%  26,050/50,000 rows  12,345 rows/s  ETA 0:02` (no bar without a total). */
export function formatProgressLine(figures: ProgressFigures): string {
  const { table, rows, total, rowsPerSecond, etaSeconds } = figures;
  const rate = `${count(rowsPerSecond)} rows/s`;
  if (total === undefined || total <= 0) return `${table}  ${count(rows)} rows  ${rate}`;
  // An estimate (reltuples) can be below the rows already read: the bar then stays full.
  const share = Math.min(1, rows / total);
  const filled = Math.round(share * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const eta = etaSeconds === undefined ? '' : `  ETA ${formatDuration(etaSeconds)}`;
  return `${table} ${bar} ${(share * 100).toFixed(1).padStart(5)}%  ${count(rows)}/${count(total)} rows  ${rate}${eta}`;
}

/** This process's rate since it started (or resumed) the run, and what it says about the rest. */
export class RateMeter {
  private start?: { rows: number; at: number };

  constructor(private readonly now: () => number) {}

  figures(progress: SnapshotProgress): ProgressFigures {
    this.start ??= { rows: progress.rows, at: this.now() };
    const seconds = (this.now() - this.start.at) / 1000;
    const rowsPerSecond = seconds > 0 ? (progress.rows - this.start.rows) / seconds : 0;
    const left = progress.total === undefined ? undefined : Math.max(0, progress.total - progress.rows);
    return {
      table: progress.table,
      rows: progress.rows,
      ...(progress.total !== undefined && { total: progress.total }),
      rowsPerSecond,
      ...(left !== undefined && rowsPerSecond > 0 && { etaSeconds: left / rowsPerSecond }),
    };
  }
}

/** A one-line bar on a terminal (stderr), redrawn in place. */
export function terminalReporter(out: NodeJS.WritableStream, now: () => number): SnapshotReporter {
  const meter = new RateMeter(now);
  let drawnAt = -Infinity;
  const draw = (progress: SnapshotProgress, force = false) => {
    if (!force && now() - drawnAt < REDRAW_MS) return;
    drawnAt = now();
    out.write(`\r\u001b[K${formatProgressLine(meter.figures(progress))}`);
  };
  return {
    started: (progress, resumed) => {
      out.write(
        `${resumed ? 'resuming' : 'starting'} snapshot ${progress.run}${resumed ? ` after ${count(progress.rows)} rows` : ''}\n`,
      );
      draw(progress, true);
    },
    waiting: (progress) =>
      out.write(
        `waiting: snapshot ${progress.run} of ${progress.table} is running (${count(progress.rows)} rows so far)\n`,
      ),
    progressed: (progress) => draw(progress),
    finished: (progress) => {
      draw(progress, true);
      out.write('\n');
    },
  };
}

/** Structured progress for a job: a log line when the run starts, every 5 s, and at its end. */
export function logReporter(logger: Logger, now: () => number): SnapshotReporter {
  const meter = new RateMeter(now);
  let loggedAt = -Infinity;
  const fields = (progress: SnapshotProgress) => ({ run: progress.run, ...meter.figures(progress) });
  return {
    started: (progress, resumed) => {
      loggedAt = now();
      logger.info(
        { ...fields(progress), resumed, source: progress.source },
        resumed ? 'snapshot resumed' : 'snapshot started',
      );
    },
    waiting: (progress) =>
      logger.info(
        { ...fields(progress), owner: progress.owner, heartbeatAt: progress.heartbeatAt },
        'snapshot waiting for a running snapshot of the table',
      ),
    progressed: (progress) => {
      if (now() - loggedAt < LOG_EVERY_MS) return;
      loggedAt = now();
      logger.info(fields(progress), 'snapshot progress');
    },
    finished: (progress) => logger.info(fields(progress), 'snapshot finished'),
  };
}

/** One table's latest snapshot, as `tablelane snapshot status` shows it. */
export interface SnapshotStatusRow {
  table: string;
  run: string;
  state: SnapshotProgress['state'];
  rows: number;
  total: number | null;
  /** Over the whole run, from its start to its last heartbeat. */
  rowsPerSecond: number;
  startedAt: string;
  heartbeatAgeSeconds: number;
  owner: string | null;
}

export function statusRow(progress: SnapshotProgress, now: number): SnapshotStatusRow {
  const seconds = (Date.parse(progress.heartbeatAt) - Date.parse(progress.startedAt)) / 1000;
  return {
    table: progress.table,
    run: progress.run,
    state: progress.state,
    rows: progress.rows,
    total: progress.total ?? null,
    rowsPerSecond: Math.round(seconds > 0 ? progress.rows / seconds : 0),
    startedAt: progress.startedAt,
    heartbeatAgeSeconds: Math.round((now - Date.parse(progress.heartbeatAt)) / 100) / 10,
    owner: progress.owner ? `pid ${progress.owner.pid} on ${progress.owner.host}` : null,
  };
}

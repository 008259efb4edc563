import type { TableContract } from '@app/config';
import type { LaneClaim } from '@app/warehouse';
import type { BufferedChange } from './buffered-change';

const IDLE_COMMIT_MS = 1000;
const RATE_WINDOW_MS = 10_000;

export interface TableLane {
  contract: TableContract;
  claim: LaneClaim;
  buffer: BufferedChange[];
  bytes: number;
  /** Changes taken out by a flush still in progress (kept visible for seconds-behind). */
  inFlight?: BufferedChange[];
}

/** Event time (or receive time) of a table's oldest change not yet in the warehouse. */
export function oldestPending(table: TableLane): number | undefined {
  const first = table.inFlight?.[0] ?? table.buffer[0];
  return first ? Math.min(first.change.ts ?? first.receivedAt, first.receivedAt) : undefined;
}

/**
 * One partition of the changes topic as this sink owns it, for one consumer-group generation.
 * It holds a buffer and a checkpoint claim per table seen on the partition. Work on a lane
 * is serialized (see `exclusive`), so a flush never races another flush of the same lane.
 */
export class Lane {
  readonly tables = new Map<string, TableLane>();
  /** Highest offset taken from Kafka into this lane (buffered, skipped, dead-lettered, or a transaction marker). */
  lastOffset = -1;
  /** When lastOffset last moved. */
  progressAt = 0;
  /** Changes sent to the dead-letter topic from this lane. */
  deadLetters = 0;
  /** Messages on the partition past the group's committed offset (refreshed by the lag probe). */
  lagMessages = 0;
  /** Rows merged per flush, with their commit time, for a recent rows/s figure. */
  private readonly merges: { at: number; rows: number }[] = [];
  /** Next offset committed to Kafka for this partition. */
  committedOffset = -1;
  fenced = false;
  /** A flush is queued or running; the age timer does not queue another. */
  flushing = false;
  lastCommitAt: string | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly generation: number,
  ) {}

  get bufferedBytes(): number {
    let total = 0;
    for (const table of this.tables.values()) total += table.bytes;
    return total;
  }

  get bufferedRows(): number {
    let total = 0;
    for (const table of this.tables.values()) total += table.buffer.length;
    return total;
  }

  recordMerge(rows: number, at = Date.now()): void {
    this.merges.push({ at, rows });
    while (this.merges.length > 0 && at - this.merges[0]!.at > RATE_WINDOW_MS) this.merges.shift();
  }

  /** Rows merged per second over the last RATE_WINDOW_MS. */
  rowsPerSecond(now = Date.now()): number {
    const recent = this.merges.filter((m) => now - m.at <= RATE_WINDOW_MS);
    return recent.reduce((sum, m) => sum + m.rows, 0) / (RATE_WINDOW_MS / 1000);
  }

  /**
   * Seconds behind: age of the oldest unflushed change, by its event time when the producer
   * set one (so time spent upstream counts), else by when the sink received it.
   */
  oldestAgeSeconds(now = Date.now()): number {
    let oldest: number | undefined;
    for (const table of this.tables.values()) {
      const since = oldestPending(table);
      if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
    }
    return oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000;
  }

  /** Receive time of the oldest buffered change, or undefined when nothing waits. */
  get oldestReceivedAt(): number | undefined {
    let oldest: number | undefined;
    for (const table of this.tables.values()) {
      const first = table.buffer[0];
      if (first && (oldest === undefined || first.receivedAt < oldest)) oldest = first.receivedAt;
    }
    return oldest;
  }

  /** Records that offsets up to `offset` were taken in. */
  advance(offset: number, now = Date.now()): void {
    if (offset <= this.lastOffset) return;
    this.lastOffset = offset;
    this.progressAt = now;
  }

  /**
   * Whether any table's flush policy says the lane must flush now; or, with nothing buffered,
   * whether offsets taken in a while ago (skips, dead letters, the commit markers of the
   * router's transactions) still wait for their Kafka commit, so lag returns to 0.
   */
  isDue(now: number): boolean {
    if (this.bufferedRows === 0)
      return this.hasUncommittedProgress && now - this.progressAt >= IDLE_COMMIT_MS;
    for (const table of this.tables.values()) {
      const first = table.buffer[0];
      if (!first) continue;
      const { maxRows, maxBytes, maxAgeMs } = table.contract.flush;
      if (table.buffer.length >= maxRows || table.bytes >= maxBytes || now - first.receivedAt >= maxAgeMs)
        return true;
    }
    return false;
  }

  /** Offsets were consumed past the last Kafka commit (changes, skips or dead letters). */
  get hasUncommittedProgress(): boolean {
    return this.lastOffset >= 0 && this.lastOffset + 1 > this.committedOffset;
  }

  /** Takes every buffered change out of the lane, for one flush. */
  drain(): { table: TableLane; changes: BufferedChange[] }[] {
    const drained: { table: TableLane; changes: BufferedChange[] }[] = [];
    for (const table of this.tables.values()) {
      if (table.buffer.length === 0) continue;
      drained.push({ table, changes: table.buffer });
      table.inFlight = table.buffer;
      table.buffer = [];
      table.bytes = 0;
    }
    return drained;
  }

  /** Runs work after all earlier work on this lane has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

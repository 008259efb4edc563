import type { TableLane } from './table-lane';

const IDLE_COMMIT_MS = 1000;
const RATE_WINDOW_MS = 10_000;

/**
 * One partition of the changes topic as this sink owns it, for one consumer-group generation.
 * Each table seen on it is a TableLane with its own buffer and checkpoint, so tables progress
 * independently; the lane only decides how far the Kafka offset may be committed.
 */
export class Lane {
  readonly tables = new Map<string, TableLane>();
  /** Highest offset taken from Kafka into this lane (buffered, skipped, dead-lettered, or a transaction marker). */
  lastOffset = -1;
  /** When lastOffset last moved. */
  takenAt = 0;
  /** Next offset committed to Kafka for this partition in this generation (-1: none yet). */
  committedOffset = -1;
  /** When the committed offset last moved, or the lane was assigned. */
  progressAt: number;
  lastCommitAt: number | null = null;
  /** Changes sent to the dead-letter topic from this lane. */
  deadLetters = 0;
  /** Messages on the partition past the group's committed offset (refreshed by the lag probe). */
  lagMessages = 0;
  /** Consumption of the partition is paused because the lane holds its share of memory. */
  paused = false;
  /** Since when the lane waits for a contract that knows its next change (see ChangeHeld). */
  holdingSince: number | undefined;
  /** The hold last logged, so each hold is said once. */
  holdAnnounced: number | undefined;
  /** The lane was stopped for this generation (lock policy `fail`); the reason. */
  stopped: string | null = null;
  private readonly merges: { at: number; rows: number }[] = [];
  private commitTail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly generation: number,
    now = Date.now(),
  ) {
    this.progressAt = now;
  }

  get bufferedBytes(): number {
    let total = 0;
    for (const table of this.tables.values()) total += table.bytes;
    return total;
  }

  get bufferedRows(): number {
    let total = 0;
    for (const table of this.tables.values()) total += table.bufferedRows;
    return total;
  }

  /** Records that offsets up to `offset` were taken in. */
  advance(offset: number, now = Date.now()): void {
    if (offset <= this.lastOffset) return;
    this.lastOffset = offset;
    this.takenAt = now;
  }

  /**
   * The next offset Kafka may record for this partition: the lowest lane offset not yet durable
   * for any of its tables (in the warehouse, skipped by a checkpoint, or in the dead-letter
   * topic). A crash re-reads from there, and each table's checkpoint skips what it already has.
   */
  commitFloor(): number {
    let floor = this.lastOffset + 1;
    for (const table of this.tables.values()) {
      const pending = table.pendingFrom;
      if (pending !== undefined && pending < floor) floor = pending;
    }
    return floor;
  }

  /** Whether the floor is past the last commit: after a flush, or once idle (markers, skips). */
  commitDue(now: number): boolean {
    if (this.lastOffset < 0) return false;
    const floor = this.commitFloor();
    if (floor <= this.committedOffset) return false;
    return this.bufferedRows > 0 || now - this.takenAt >= IDLE_COMMIT_MS;
  }

  /** Records a Kafka commit. */
  committed(offset: number, now = Date.now()): void {
    if (offset <= this.committedOffset) return;
    this.committedOffset = offset;
    this.progressAt = now;
    this.lastCommitAt = now;
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
   * Seconds behind: age of the oldest change not yet in the warehouse, by its event time when
   * the producer set one (so time spent upstream counts), else by when the sink received it.
   */
  oldestAgeSeconds(now = Date.now()): number {
    let oldest: number | undefined;
    for (const table of this.tables.values()) {
      const since = table.oldestPendingAt;
      if (since !== undefined && (oldest === undefined || since < oldest)) oldest = since;
    }
    return oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000;
  }

  /** Runs Kafka commits of this lane one after another, so offsets only ever move forward. */
  serializeCommit<T>(work: () => Promise<T>): Promise<T> {
    const run = this.commitTail.then(work, work);
    this.commitTail = run.catch(() => undefined);
    return run;
  }
}

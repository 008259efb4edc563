import type { TableContract } from '@app/config';
import type { LaneClaim } from '@app/warehouse';
import type { BufferedChange } from './buffered-change';
import { batchLength, TableSnapshots } from './snapshot-runs';

/** The batch of a table that keeps failing: since when, why, and when to try again. */
export interface TableFailure {
  since: number;
  attempts: number;
  code: string;
  message: string;
  retryAt: number;
}

/**
 * One table on one lane. Progress is per table: its checkpoint (`claim.lastOffset`) says which
 * lane offsets are already in the warehouse, so a change at or below it is never applied
 * again, whatever happens to the other tables of the lane.
 */
export class TableLane {
  buffer: BufferedChange[] = [];
  bytes = 0;
  /** The batch a flush in progress took out of the buffer. */
  inFlight: BufferedChange[] = [];
  flushing = false;
  failure?: TableFailure;
  lastCommitAt: number | null = null;
  /** The table's snapshot runs: the open one, restored from the warehouse before the first batch. */
  readonly snapshots = new TableSnapshots();

  constructor(
    /** Replaced when the contract file is reloaded; a batch in flight keeps the one it began with. */
    public contract: TableContract,
    public claim: LaneClaim,
  ) {}

  get checkpoint(): number {
    return this.claim.lastOffset;
  }

  add(change: BufferedChange): void {
    this.buffer.push(change);
    this.bytes += change.bytes;
  }

  /** Lowest lane offset of this table not yet in the warehouse, if any. */
  get pendingFrom(): number | undefined {
    return (this.inFlight[0] ?? this.buffer[0])?.offset;
  }

  /** Event time (or receive time) of the oldest change not yet in the warehouse. */
  get oldestPendingAt(): number | undefined {
    const first = this.inFlight[0] ?? this.buffer[0];
    return first ? Math.min(first.change.ts ?? first.receivedAt, first.receivedAt) : undefined;
  }

  get bufferedRows(): number {
    return this.buffer.length + this.inFlight.length;
  }

  /** Whether the table's flush policy (rows, bytes, age) says flush now, and no backoff forbids it. */
  isDue(now: number): boolean {
    if (this.flushing || this.buffer.length === 0) return false;
    if (this.failure && now < this.failure.retryAt) return false;
    const { maxRows, maxBytes, maxAgeMs } = this.contract.flush;
    return (
      this.buffer.length >= maxRows || this.bytes >= maxBytes || now - this.buffer[0]!.receivedAt >= maxAgeMs
    );
  }

  /**
   * Takes the buffer out for the flush that `flushing` announced: all of it, or up to a snapshot
   * marker (batchLength), the rest staying for the next batch. `whole` says which.
   */
  take(): { changes: BufferedChange[]; whole: boolean } {
    const length = batchLength(this.buffer);
    this.inFlight = this.buffer.slice(0, length);
    this.buffer = this.buffer.slice(length);
    this.bytes = this.buffer.reduce((sum, c) => sum + c.bytes, 0);
    return { changes: this.inFlight, whole: this.buffer.length === 0 };
  }

  /** The flush committed up to `offset`: the checkpoint moves, the batch is done. */
  committed(offset: number, now = Date.now()): void {
    this.claim = { epoch: this.claim.epoch, lastOffset: offset };
    this.inFlight = [];
    this.flushing = false;
    this.failure = undefined;
    this.lastCommitAt = now;
  }

  /**
   * The flush failed: its changes go back in front of what arrived since, for the next attempt
   * after `retryInMs`. Only this table's changes: the other tables of the lane keep theirs.
   */
  failed(code: string, message: string, retryInMs: number, now = Date.now()): void {
    this.buffer = [...this.inFlight, ...this.buffer];
    this.bytes = this.buffer.reduce((sum, c) => sum + c.bytes, 0);
    this.inFlight = [];
    this.flushing = false;
    const since = this.failure?.since ?? now;
    const attempts = (this.failure?.attempts ?? 0) + 1;
    this.failure = { since, attempts, code, message, retryAt: now + retryInMs };
  }

  /**
   * The checkpoint is not where we thought (our own commit whose reply was lost, or a claim
   * taken anew): drop what it already covers, so nothing is applied twice. Call between flushes.
   */
  adopt(claim: LaneClaim): void {
    this.claim = claim;
    // Batches we did not see committed may have moved the runs: read them again.
    this.snapshots.stale = true;
    this.buffer = this.buffer.filter((c) => c.offset > claim.lastOffset);
    this.bytes = this.buffer.reduce((sum, c) => sum + c.bytes, 0);
  }
}

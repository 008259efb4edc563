import type { ColumnType } from './column-type';

export type LoadMode = 'merge' | 'append';

export interface FlushPolicy {
  /** Flush when this many changes are buffered for the table. */
  maxRows: number;
  /** Flush when the buffered changes take this many bytes (as received). */
  maxBytes: number;
  /** Flush when the oldest buffered change is this old. */
  maxAgeMs: number;
}

/**
 * What the sink does when a flush times out waiting for a lock on the table: `wait` retries
 * with backoff (default), `cancel-blockers` cancels the running statement of blocking sessions
 * older than `cancelOlderThanMs` (opt-in, logged loudly), `fail` stops the lane with a clear
 * error. A session idle in its transaction runs no statement, so a cancel does nothing to it:
 * only `terminateIdleOlderThanMs` (off unless set, with cancel-blockers) ends such a session.
 */
export interface LockPolicy {
  onTimeout: 'wait' | 'cancel-blockers' | 'fail';
  cancelOlderThanMs: number;
  terminateIdleOlderThanMs: number | null;
}

export interface ColumnContract {
  name: string;
  type: ColumnType;
}

/**
 * One table tablelane loads. Every identifier that ever reaches SQL comes from here, and
 * was checked against IDENTIFIER_PATTERN when the file was loaded.
 */
export interface TableContract {
  /** `schema.table`, the name producers use in change events. */
  name: string;
  schema: string;
  table: string;
  columns: ColumnContract[];
  primaryKey: string[];
  /** Column whose highest value wins when two changes touch the same key. */
  version?: string;
  mode: LoadMode;
  /** Partition of the changes topic this table is pinned to, instead of the key hash. */
  lane?: number;
  flush: FlushPolicy;
  locks: LockPolicy;
  /**
   * The table's `transforms:` as written. libs/contracts (loadTransforms) checks them against
   * this contract, which this library cannot: a step may only name the table's columns.
   */
  transforms?: unknown;
}

/** Fields every change event may carry besides its operation. */
interface ChangeEventTail {
  version?: string | number;
  id?: string;
  /** Event time (for CDC: the source commit) in epoch milliseconds, for latency and lag. */
  ts?: number;
}

/** A change as producers write it (the documented JSON form). */
export type ChangeEvent =
  | (ChangeEventTail & {
      table: string;
      op: 'upsert';
      row: Record<string, unknown>;
      /**
       * Non-key columns whose value the warehouse keeps as it is: the row does not carry them
       * (CDC: a TOAST column the source did not log). Merge tables only.
       */
      unchanged?: string[];
      /**
       * The primary key this row had before (CDC: a primary-key update). The old key's row is
       * deleted in the same merge, and `unchanged` columns take their value from it.
       */
      movedFrom?: Record<string, unknown>;
      /**
       * The snapshot run this row belongs to: only `tablelane snapshot` writes it, directly onto
       * the lane (producers' changes carrying it are refused). Merge tables only.
       */
      snapshot?: string;
    })
  | (ChangeEventTail & {
      table: string;
      op: 'delete';
      key: Record<string, unknown>;
    })
  | (ChangeEventTail & {
      table: string;
      /** Empties the table, in lane order and in place (CDC: a source TRUNCATE). Merge tables only. */
      op: 'truncate';
    });

export type ChangeOp = ChangeEvent['op'];

/**
 * The markers `tablelane snapshot` writes directly onto a table's lane around the rows of one
 * full refresh (docs/snapshots.md): a run begins, ends after its last row (the sink then deletes
 * what the run did not contain, in place), or is cancelled (nothing is deleted). Never sent by
 * producers: prepareChange refuses them, so they only reach the sink from the lane.
 */
export type SnapshotOp = 'snapshot-begin' | 'snapshot-end' | 'snapshot-cancel';

const SNAPSHOT_OPS: readonly SnapshotOp[] = ['snapshot-begin', 'snapshot-end', 'snapshot-cancel'];

export function isSnapshotOp(op: unknown): op is SnapshotOp {
  return (SNAPSHOT_OPS as readonly unknown[]).includes(op);
}

/** What a validated change does: one of the producers' operations, or a snapshot marker. */
export type CanonicalOp = ChangeOp | SnapshotOp;

/**
 * A change after validation against its table contract: every value is in its canonical text
 * form (exact for bigint and numeric), or null. Upserts carry every column of the contract
 * (an `unchanged` column as null), deletes only the key columns, truncates and snapshot
 * markers none.
 */
export interface CanonicalChange {
  table: string;
  op: CanonicalOp;
  values: Record<string, string | null>;
  /** Canonical version (from the event or the row's version column), when the table has one. */
  version?: string;
  id?: string;
  /** Event time in epoch milliseconds, for end-to-end latency. */
  ts?: number;
  /** Upserts: non-key columns the warehouse keeps (see ChangeEvent). */
  unchanged?: string[];
  /** Upserts: the previous primary key, in canonical text per key column. */
  movedFrom?: Record<string, string | null>;
  /** Snapshot rows (upserts) and markers: the run, `tablelane snapshot`'s id of one full refresh. */
  snapshot?: string;
  /** snapshot-end: how many rows the run wrote onto the lane. */
  rows?: number;
  /** snapshot-begin: how many rows the run expects (an estimate), when the source could tell. */
  total?: number;
}

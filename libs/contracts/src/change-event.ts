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
 * A change after validation against its table contract: every value is in its canonical text
 * form (exact for bigint and numeric), or null. Upserts carry every column of the contract
 * (an `unchanged` column as null), deletes only the key columns, truncates none.
 */
export interface CanonicalChange {
  table: string;
  op: ChangeOp;
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
}

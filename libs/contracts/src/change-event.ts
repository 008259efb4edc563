/** A change as producers write it (the documented JSON form). */
export type ChangeEvent =
  | {
      table: string;
      op: 'upsert';
      row: Record<string, unknown>;
      version?: string | number;
      id?: string;
      ts?: number;
    }
  | {
      table: string;
      op: 'delete';
      key: Record<string, unknown>;
      version?: string | number;
      id?: string;
      ts?: number;
    };

export type ChangeOp = ChangeEvent['op'];

/**
 * A change after validation against its table contract: every value is in its canonical text
 * form (exact for bigint and numeric), or null. Upserts carry every column of the contract,
 * deletes only the key columns.
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
}

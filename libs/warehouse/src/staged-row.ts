/**
 * Staged files carry every contract column in contract order, then the operation marker:
 * `u` for an upsert (the full row), `d` for a delete (key and version only), `t` for a
 * truncate (the version only; at most one per batch, applied before every other row).
 */
export const OP_COLUMN = '__tl_op';

export type StagedOp = 'u' | 'd' | 't';

export interface StagedRow {
  op: StagedOp;
  /** Canonical text per contract column, in contract order; null is SQL NULL. */
  values: (string | null)[];
  /** Upserts whose row does not carry every column's value (a CDC column the source did not log). */
  keep?: KeptColumns;
}

/** Which columns of an upsert take the target's value in the merge, and from which target row. */
export interface KeptColumns {
  /** Per contract column, in contract order: true where the target's value is kept. */
  columns: boolean[];
  /**
   * The key of the target row the kept values come from, canonical text per primary-key column
   * in key order: a moved row's old key; all null for the row's own key.
   */
  from: (string | null)[];
}

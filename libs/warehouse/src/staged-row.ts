/**
 * Staged files carry every contract column in contract order, then the operation marker:
 * `u` for an upsert (the full row), `d` for a delete (key and version only).
 */
export const OP_COLUMN = '__tl_op';

export type StagedOp = 'u' | 'd';

export interface StagedRow {
  op: StagedOp;
  /** Canonical text per contract column, in contract order; null is SQL NULL. */
  values: (string | null)[];
}

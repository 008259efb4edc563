import type { TableContract } from '@app/config';
import { OP_COLUMN, type StagedRow } from './staged-row';

/**
 * Which of the CDC shapes a batch holds, so that only the batches that need them stage more
 * than the contract's columns and the operation, and merge with more than the usual statements.
 */
export interface StagingShape {
  /** A staged `t` row empties the table first; its version column holds the truncate's version. */
  truncate: boolean;
  /** Some upsert keeps target values: the staged file carries KEEP_COLUMN and the fill-from key. */
  partial: boolean;
}

export const ORDINARY_SHAPE: StagingShape = { truncate: false, partial: false };

/** Per contract column, in contract order, `1` where the merge keeps the target's value; NULL for full rows. */
export const KEEP_COLUMN = '__tl_keep';

/** The `index`th primary-key column of the key kept values come from; NULL for the row's own key. */
export function fillFromColumn(index: number): string {
  return `__tl_from_${index}`;
}

export function stagingShape(rows: readonly StagedRow[]): StagingShape {
  let truncate = false;
  let partial = false;
  for (const row of rows) {
    truncate ||= row.op === 't';
    partial ||= row.keep !== undefined;
  }
  return truncate || partial ? { truncate, partial } : ORDINARY_SHAPE;
}

/** The staging table's columns in the staged file's order: the contract's, the op, then the shape's. */
export function stagedColumns(c: TableContract, shape: StagingShape): string[] {
  const columns = [...c.columns.map((col) => col.name), OP_COLUMN];
  if (shape.partial) columns.push(KEEP_COLUMN, ...c.primaryKey.map((_, i) => fillFromColumn(i)));
  return columns;
}

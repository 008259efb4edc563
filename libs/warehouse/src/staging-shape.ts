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
  /** The batch's part in a snapshot run (a full refresh in place); none outside any run. */
  snapshot?: SnapshotShape;
}

/**
 * What one batch does to the table's snapshot run, around its rows. One run is open at a time,
 * and the sink cuts batches at the markers, so a batch meets one run: it begins with the batch's
 * first change, or was open before; an end or cancel is the batch's last change. Only the
 * statements a batch needs are added to its merge (SqlDialect.snapshotStatements).
 */
export interface SnapshotShape {
  /** The run the batch belongs to: `tablelane snapshot`'s id, always a parameter of the SQL. */
  run: string;
  /**
   * The run is open for the batch's changes: every staged key (snapshot rows and live changes,
   * upserts and deletes) joins the run's seen keys before the version guard drops any. The end
   * deletes the target's rows of keys the run never saw.
   */
  markSeen: boolean;
  /** The batch begins the run (its first change is the begin marker): recorded as open. */
  begin: boolean;
  /** The batch ends the run: after the merge, unseen rows go, in this transaction. */
  end: boolean;
  /** The batch cancels the run: its seen keys are forgotten, nothing is deleted. */
  cancel: boolean;
  /** The run's rows (snapshot upserts) the batch holds: the run's count of rows seen grows by it. */
  rows: number;
  /** begin: when the run began (its marker's time) and the rows it expects, when the source told. */
  begunAt?: Date;
  total?: number;
  /** end: the rows the run wrote, from its end marker. */
  expected?: number;
  /**
   * end: the sink merged fewer of the run's rows than it wrote (the warehouse refused some, and
   * they went to the dead-letter topic). Deleting unseen keys would then delete rows the refresh
   * did hold: the run ends `incomplete` and deletes nothing.
   */
  incomplete?: boolean;
  /** A run still open when this batch began another: abandoned first, as a cancel would. */
  abandoned?: string;
}

export const ORDINARY_SHAPE: StagingShape = { truncate: false, partial: false };

/** Per contract column, in contract order, `1` where the merge keeps the target's value; NULL for full rows. */
export const KEEP_COLUMN = '__tl_keep';

/** The `index`th primary-key column of the key kept values come from; NULL for the row's own key. */
export function fillFromColumn(index: number): string {
  return `__tl_from_${index}`;
}

/** The shape of a batch of `rows`; `snapshot`, the batch's part in a run, when it has one. */
export function stagingShape(rows: readonly StagedRow[], snapshot?: SnapshotShape): StagingShape {
  let truncate = false;
  let partial = false;
  for (const row of rows) {
    truncate ||= row.op === 't';
    partial ||= row.keep !== undefined;
  }
  if (snapshot) return { truncate, partial, snapshot };
  return truncate || partial ? { truncate, partial } : ORDINARY_SHAPE;
}

/** The staging table's columns in the staged file's order: the contract's, the op, then the shape's. */
export function stagedColumns(c: TableContract, shape: StagingShape): string[] {
  const columns = [...c.columns.map((col) => col.name), OP_COLUMN];
  if (shape.partial) columns.push(KEEP_COLUMN, ...c.primaryKey.map((_, i) => fillFromColumn(i)));
  return columns;
}

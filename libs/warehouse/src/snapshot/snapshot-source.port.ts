/** Where a source read from files stands: the file (its index in the manifest) and its rows read. */
export interface SnapshotPosition {
  file: number;
  row: number;
}

/** Where a resumed snapshot continues: after this key (PostgreSQL) or this position (files). */
export interface SnapshotResume {
  /** Canonical text per primary-key column of the last row committed. */
  lastKey?: Readonly<Record<string, string | null>>;
  position?: SnapshotPosition;
}

/** One source row, in the JSON value forms of the contract (what a producer would send). */
export interface SnapshotSourceRow {
  row: Record<string, unknown>;
  /** Files only: the position just after this row. */
  position?: SnapshotPosition;
}

/**
 * A table (or query) a snapshot reads, in a fixed order, from any point it reached before: a
 * second implementation is another source warehouse. Rows carry the contract's columns only.
 */
export interface SnapshotSource {
  /** What it reads, without secrets: kept in the progress record, compared on resume. */
  readonly description: Readonly<Record<string, string>>;
  /**
   * Gets the source ready (Redshift: UNLOADs unless the run's manifest exists already) and says
   * how many rows it expects, when it can tell (an estimate for PostgreSQL tables).
   */
  prepare(): Promise<{ total?: number }>;
  /** Every row after `resume` (every row without it), reading ahead only a bounded amount. */
  rows(resume?: SnapshotResume): AsyncIterable<SnapshotSourceRow>;
  /** Ends any read in progress (its iteration then throws or ends) and the connections. */
  close(): Promise<void>;
}

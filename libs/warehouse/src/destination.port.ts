import type { TableContract } from '@app/config';
import type { Readable } from 'node:stream';
import type { SnapshotRunState } from './dialect';
import type { StagingShape } from './staging-shape';

/** Where a lane stands for one table: the last offset applied, and the owner's fencing epoch. */
export interface LaneClaim {
  lastOffset: number;
  epoch: number;
}

/** One table's reduced batch, already staged, ready to fold into the target. */
export interface StagedBatch {
  contract: TableContract;
  topic: string;
  partition: number;
  claim: LaneClaim;
  /** Highest lane offset this batch covers; becomes the table's checkpoint on commit. */
  nextOffset: number;
  /** Rows staged; 0 (a batch of snapshot markers only) loads nothing and runs the merge alone. */
  rowCount: number;
  /** The staged file, as the warehouse will load it. */
  openStagedData(): Promise<Readable>;
  /** Where the staged file lives (`s3://...`), for warehouses that load from S3 themselves. */
  stagedUri?: string;
  /** The CDC shapes the batch holds (stagingShape of its rows); none when not given. */
  shape?: StagingShape;
}

export interface ApplyResult {
  /** The batch had already committed (an ambiguous COMMIT being retried): nothing was applied now. */
  alreadyCommitted: boolean;
}

/** A session in the way of the loader, as the warehouse reports it. */
export interface Blocker {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  state: string | null;
  /** Seconds since the blocker's transaction began. */
  transactionAgeSeconds: number | null;
  query: string | null;
  relation: string;
  mode: string;
}

/** One snapshot run of a table, as its runs table records it (see SnapshotShape). */
export interface SnapshotRunRow {
  run: string;
  state: SnapshotRunState;
  /** When the run began (its begin marker's time). */
  begunAt: Date | null;
  endedAt: Date | null;
  /** The run's rows merged so far (snapshot upserts, counted in the batches that held them). */
  rowsSeen: number;
  /** The rows the run wrote, from its end marker; null until it ends. */
  rowsExpected: number | null;
  /** The rows the run expected when it began, when its source could tell. */
  total: number | null;
}

export interface CheckpointRow {
  topic: string;
  partition: number;
  lastOffset: number;
  epoch: number;
  owner: string | null;
  committedAt: Date | null;
}

/**
 * A warehouse's I/O: connections, transactions and the staging load. The SQL itself comes
 * from the warehouse's Dialect, so the sink drives every warehouse the same way.
 *
 * Every error a method throws (or probeBatch resolves) is a WarehouseError the destination
 * classified itself, from its own SQLSTATEs and vendor errors: `retriable` says whether the
 * same call can succeed again, `dataError` whether the warehouse refused the batch's data. The
 * sink reads those two (isTransient, isDataError), never a code or a message.
 */
export interface Destination {
  /**
   * Creates tablelane's own tables for the contract (checkpoint, tombstones, a merge table's
   * snapshot keys and runs). Never blocks on users.
   */
  prepareState(contract: TableContract): Promise<void>;
  /**
   * Creates the target when configured and adds columns new to the contract. DDL waits for
   * locks only briefly (the DDL lock timeout) so it never queues in front of readers for long;
   * callers retry it.
   */
  prepareTarget(contract: TableContract): Promise<void>;
  /** prepareState then prepareTarget. */
  prepareTable(contract: TableContract): Promise<void>;
  /** Sessions that hold locks on the contract's tables in a mode that blocks our DML or DDL. */
  findBlockers(contract: TableContract, forDdl: boolean): Promise<Blocker[]>;
  /** Cancels the current statement of a session (PostgreSQL: pg_cancel_backend). */
  cancelSession(pid: number): Promise<boolean>;
  /** Ends a session and rolls back its transaction (PostgreSQL: pg_terminate_backend). */
  terminateSession(pid: number): Promise<boolean>;
  /** Takes ownership of a lane for one table: bumps the fencing epoch, returns the checkpoint. */
  claimLane(contract: TableContract, topic: string, partition: number, owner: string): Promise<LaneClaim>;
  /**
   * Loads and merges the batch and advances the checkpoint in one transaction, as a
   * compare-and-set on the claim that only moves it strictly forward (CheckpointNotAdvancing,
   * before any SQL, when nextOffset <= claim.lastOffset).
   *
   * An ambiguous COMMIT (the server committed, the reply was lost) is retried with the same
   * batch; its compare-and-set then misses. The checkpoint is read back: at our epoch and
   * exactly our nextOffset, this batch is what moved it, so the retry rolls back and resolves
   * `{ alreadyCommitted: true }` (nothing applied twice). Anything else throws FencedError:
   * another owner moved or claimed the lane.
   */
  applyBatch(batch: StagedBatch): Promise<ApplyResult>;
  /**
   * For isolating refused changes by bisection: loads and merges the batch exactly as
   * applyBatch would (same staging load, same statements) but without touching the
   * checkpoint, in a transaction that is always rolled back, so nothing lands either way.
   * Resolves undefined when the warehouse accepted the data, or the classified error when it
   * refused it (`dataError`, see isDataError); rethrows any other error (a retry may help).
   */
  probeBatch(batch: StagedBatch): Promise<unknown | undefined>;
  readCheckpoints(contract: TableContract): Promise<CheckpointRow[]>;
  /**
   * The table's snapshot runs: the open one (at most one) first, then the latest ended ones;
   * none for append tables. Outside any transaction; read by a lane's new owner after its claim.
   */
  readSnapshotRuns(contract: TableContract): Promise<SnapshotRunRow[]>;
  /** Whether the warehouse answers a trivial query, for readiness probes. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

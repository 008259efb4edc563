import type { TableContract } from '@app/config';
import type { Readable } from 'node:stream';

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
  rowCount: number;
  /** The staged file, as the warehouse will load it. */
  openStagedData(): Promise<Readable>;
  /** Where the staged file lives (`s3://...`), for warehouses that load from S3 themselves. */
  stagedUri?: string;
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
 */
export interface Destination {
  /** Creates state tables (and the target, when configured) and adds columns new to the contract. */
  prepareTable(contract: TableContract): Promise<void>;
  /** Takes ownership of a lane for one table: bumps the fencing epoch, returns the checkpoint. */
  claimLane(contract: TableContract, topic: string, partition: number, owner: string): Promise<LaneClaim>;
  /**
   * Loads and merges the batch and advances the checkpoint in one transaction, as a
   * compare-and-set on the claim. Throws FencedError when another owner moved the lane.
   */
  applyBatch(batch: StagedBatch): Promise<void>;
  readCheckpoints(contract: TableContract): Promise<CheckpointRow[]>;
  /** Whether the warehouse answers a trivial query, for readiness probes. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

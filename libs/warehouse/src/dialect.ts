import type { ColumnContract, TableContract } from '@app/config';
import { CheckpointNotAdvancing } from './errors';
import type { StateTableKind } from './state-tables';

/** A statement with its parameters: values never travel inside SQL text. */
export interface Query {
  text: string;
  values: unknown[];
}

/**
 * Builds every SQL statement one warehouse needs, as pure functions of the table contracts.
 * A Dialect never touches a connection, so each statement has a golden test.
 */
export interface Dialect {
  createSchema(schema: string): string;
  createTargetTable(contract: TableContract): string;
  addColumn(contract: TableContract, column: ColumnContract): string;
  listColumns(contract: TableContract): Query;
  createCheckpointTable(stateSchema: string, contract: TableContract): string;
  /**
   * Creates the tombstone table, or brings one created by an older release up to date (its
   * record time column; on PostgreSQL its unique key index).
   */
  prepareTombstoneTable(stateSchema: string, contract: TableContract): string[];
  /** Whether a table of the state schema exists: one row when it does. */
  stateTableExists(stateSchema: string, name: string): Query;
  /** Copies a legacy-named state table's rows into the table's current one (a one-time migration). */
  copyLegacyState(
    stateSchema: string,
    contract: TableContract,
    kind: StateTableKind,
    legacyName: string,
  ): string;
  initCheckpoint(stateSchema: string, contract: TableContract, topic: string, partition: number): Query;
  claimCheckpoint(
    stateSchema: string,
    contract: TableContract,
    topic: string,
    partition: number,
    owner: string,
  ): Query;
  /**
   * The compare-and-set that moves a lane's checkpoint strictly forward: it matches only our
   * epoch at exactly the previous offset, and only when the next offset is beyond it.
   * Refuses (CheckpointNotAdvancing) to build one that would not advance.
   */
  advanceCheckpoint(stateSchema: string, contract: TableContract, cas: CheckpointAdvance): Query;
  /** One lane's checkpoint (last_offset, epoch), read back after a compare-and-set missed. */
  readClaim(stateSchema: string, contract: TableContract, topic: string, partition: number): Query;
  readCheckpoints(stateSchema: string, contract: TableContract): string;
  createStagingTable(contract: TableContract): string;
  /** Statements that fold the staging table into the target; run in the checkpoint's transaction. */
  mergeStatements(stateSchema: string, contract: TableContract): string[];
  /** Reads every table a merge touches, in full; emulates Redshift's table-level conflicts in tests. */
  readTouchedTables(stateSchema: string, contract: TableContract): string[];
  /** Deletes the table's tombstones recorded more than retentionMs ago. */
  pruneTombstones(stateSchema: string, contract: TableContract, retentionMs: number): Query;
  lockTimeout(ms: number): string;
  /** Sessions holding locks on the contract's tables that block our DML (or, forDdl, our DDL). */
  findBlockers(stateSchema: string, contract: TableContract, forDdl: boolean): Query;
  cancelSession(pid: number): Query;
  /** Ends a session, rolling back its transaction (PostgreSQL and Redshift: pg_terminate_backend). */
  terminateSession(pid: number): Query;
}

export interface CheckpointAdvance {
  topic: string;
  partition: number;
  epoch: number;
  previousOffset: number;
  nextOffset: number;
}

export const STAGING_TABLE = 'tablelane_stage';

/**
 * Refuses a compare-and-set that would not move the checkpoint forward: with next <= previous
 * the batch covers changes the checkpoint already holds, and applying it would apply them twice.
 */
export function assertAdvances(table: string, cas: CheckpointAdvance): CheckpointAdvance {
  if (!(cas.nextOffset > cas.previousOffset))
    throw new CheckpointNotAdvancing(table, cas.partition, cas.previousOffset, cas.nextOffset);
  return cas;
}

/** The column that dates each tombstone, for pruning after the retention. */
export const RECORDED_AT = 'recorded_at';

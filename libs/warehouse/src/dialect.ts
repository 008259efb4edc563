import type { ColumnContract, TableContract } from '@app/config';

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
  readonly name: string;
  createSchema(schema: string): string;
  createTargetTable(contract: TableContract): string;
  addColumn(contract: TableContract, column: ColumnContract): string;
  listColumns(contract: TableContract): Query;
  createCheckpointTable(stateSchema: string, contract: TableContract): string;
  createTombstoneTable(stateSchema: string, contract: TableContract): string;
  initCheckpoint(stateSchema: string, contract: TableContract, topic: string, partition: number): Query;
  claimCheckpoint(
    stateSchema: string,
    contract: TableContract,
    topic: string,
    partition: number,
    owner: string,
  ): Query;
  advanceCheckpoint(stateSchema: string, contract: TableContract, cas: CheckpointAdvance): Query;
  readCheckpoints(stateSchema: string, contract: TableContract): string;
  createStagingTable(contract: TableContract): string;
  /** Statements that fold the staging table into the target; run in the checkpoint's transaction. */
  mergeStatements(stateSchema: string, contract: TableContract): string[];
  /** Reads every table a merge touches, in full; emulates Redshift's table-level conflicts in tests. */
  readTouchedTables(stateSchema: string, contract: TableContract): string[];
  lockTimeout(ms: number): string;
  /** Sessions holding locks on the contract's tables that block our DML (or, forDdl, our DDL). */
  findBlockers(stateSchema: string, contract: TableContract, forDdl: boolean): Query;
  cancelSession(pid: number): Query;
}

export interface CheckpointAdvance {
  topic: string;
  partition: number;
  epoch: number;
  previousOffset: number;
  nextOffset: number;
}

export const STAGING_TABLE = 'tablelane_stage';

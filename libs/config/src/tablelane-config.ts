import type { CdcFeed } from './cdc-feed';
import type { FlushPolicy, TableContract } from './table-contract';

export type WarehouseKind = 'postgres' | 'redshift';

export interface WarehouseSettings {
  kind: WarehouseKind;
  /** Schema that holds tablelane's own tables (checkpoints, tombstones). */
  stateSchema: string;
  /** Create missing target tables from their contracts and add columns new to a contract. */
  createTables: boolean;
  /** `s3`: stage every batch as a file in the bucket; `direct`: stream it to COPY (PostgreSQL only). */
  staging: 's3' | 'direct';
  /**
   * PostgreSQL only: `stream` COPYs the staged file through the connection; `aurora-s3` has
   * Aurora load it server-side from S3 with aws_s3.table_import_from_s3 (needs staging: s3).
   */
  postgresLoad: 'stream' | 'aurora-s3';
  /** Upper bound on any lock wait of the loader, so it never queues in front of readers for long. */
  lockTimeoutMs: number;
  /** Shorter bound for DDL (create table, add column): readers queue behind a waiting ALTER. */
  ddlLockTimeoutMs: number;
  /**
   * How long a delete is remembered (its tombstone) so an older upsert cannot resurrect the row.
   * Must exceed the longest a change can be delayed: the changes topic's retention plus how long
   * producers may hold a change (see docs/architecture.md, "Tombstones and their retention").
   */
  tombstoneRetentionMs: number;
}

export interface TopicSettings {
  ingest: string;
  changes: string;
  dlq: string;
}

export interface TablelaneConfig {
  /** Where the configuration was read from (the file's path), as errors about it name it. */
  source?: string;
  topics: TopicSettings;
  warehouse: WarehouseSettings;
  defaults: { flush: FlushPolicy };
  /** Buffered bytes across all lanes of one sink above which consumption pauses. */
  maxBufferedBytes: number;
  tables: TableContract[];
  /** CDC feeds the router reads besides the ingest topic; none by default. */
  cdc: CdcFeed[];
}

export function findTable(config: TablelaneConfig, name: string): TableContract | undefined {
  return config.tables.find((t) => t.name === name);
}

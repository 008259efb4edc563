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
  /** Upper bound on any lock wait of the loader, so it never queues in front of readers for long. */
  lockTimeoutMs: number;
  /** Shorter bound for DDL (create table, add column): readers queue behind a waiting ALTER. */
  ddlLockTimeoutMs: number;
}

export interface TopicSettings {
  ingest: string;
  changes: string;
  dlq: string;
}

export interface TablelaneConfig {
  topics: TopicSettings;
  warehouse: WarehouseSettings;
  defaults: { flush: FlushPolicy };
  /** Buffered bytes across all lanes of one sink above which consumption pauses. */
  maxBufferedBytes: number;
  tables: TableContract[];
}

export function findTable(config: TablelaneConfig, name: string): TableContract | undefined {
  return config.tables.find((t) => t.name === name);
}

import type { TableContract } from '@app/config';
import type { PoolClient, PoolConfig } from 'pg';
import { PgProtocolDestination } from '../pg-protocol-destination';
import { withPooledClient } from '../pg-session';
import type { LaneClaim, StagedBatch } from '../destination.port';
import { RECORDED_AT } from '../dialect';
import type { StagingLoader } from '../staging-loader';
import { RedshiftDialect, type RedshiftDialectOptions } from './redshift-dialect';
import { DuplicateCheckpointRows } from '../errors';
import { classifyRedshiftError } from './redshift-errors';

export interface RedshiftDestinationOptions {
  pool: PoolConfig;
  stateSchema: string;
  createTables: boolean;
  /**
   * Bound on lock waits: the LOCK statements and the checkpoint compare-and-set. Redshift has
   * no lock_timeout, so this is the statement_timeout of a transaction's locking phase.
   */
  lockTimeoutMs: number;
  /** Bound on lock waits of DDL (create table, add column); defaults to lockTimeoutMs. */
  ddlLockTimeoutMs?: number;
  /** statement_timeout of the load-and-merge phase, COPY included; 0 for no limit. */
  loadTimeoutMs: number;
  /**
   * LOCK every table a merge transaction touches, at its start, in one sorted order (seed 001).
   * Not needed while tablelane is the only writer of its tables; turn it on when other writers
   * share them. Readers of those tables then wait for the merge.
   */
  lockTables: boolean;
  /** COPY FROM S3 on Redshift; COPY FROM STDIN in the PostgreSQL-compatible test mode. */
  loader: StagingLoader;
  dialect?: RedshiftDialectOptions;
  /**
   * `serializable` begins transactions with ISOLATION LEVEL SERIALIZABLE (tests on PostgreSQL).
   * On Redshift the level is a database setting (SERIALIZABLE or SNAPSHOT); `default` uses it.
   */
  isolation?: 'default' | 'serializable';
  /** Test-only: read every touched table in full after the locks, as Redshift detects conflicts. */
  emulateTableLevelConflicts?: boolean;
  /** Test-only fault point between the COPY and the merge. */
  afterCopy?: () => void;
  /** How long deletes are remembered; default 7 days (see PgProtocolOptions). */
  tombstoneRetentionMs?: number;
  /** At most one tombstone prune per table per this interval; default 10 minutes. */
  tombstonePruneIntervalMs?: number;
}

/**
 * Amazon Redshift, over the PostgreSQL protocol. Each merge transaction: locking phase (short
 * statement timeout; optional LOCK of every touched table in sorted order; the checkpoint
 * compare-and-set), then load phase (load timeout; staging table; COPY; count check; merge;
 * drop the staging table), then COMMIT. Reads that need not be atomic with the merge (column
 * listing, checkpoint reads, blockers) run outside any transaction.
 */
export class RedshiftDestination extends PgProtocolDestination<RedshiftDialect> {
  constructor(private readonly options: RedshiftDestinationOptions) {
    super(new RedshiftDialect(options.dialect), options, classifyRedshiftError);
  }

  async prepareTarget(contract: TableContract): Promise<void> {
    if (!this.options.createTables) return;
    // A catalog read, outside any transaction: usually there is nothing to change.
    const existing = await this.existingColumns(contract);
    if (existing.size === 0) {
      await this.inTransaction(async (client) => {
        await client.query(this.dialect.createSchema(contract.schema));
        await client.query(this.dialect.createTargetTable(contract));
      }, this.ddlTimeoutMs);
      return;
    }
    for (const column of contract.columns.filter((c) => !existing.has(c.name))) {
      // A nullable column, added on its own (autocommit): the sink is the table's only writer,
      // and the DDL statement timeout bounds how long it can wait for the table's lock.
      await this.withClient(this.ddlTimeoutMs, (client) =>
        client.query(this.dialect.addColumn(contract, column)),
      );
    }
  }

  async claimLane(
    contract: TableContract,
    topic: string,
    partition: number,
    owner: string,
  ): Promise<LaneClaim> {
    const { stateSchema } = this.options;
    return this.inTransaction(async (client) => {
      // Always locked, whatever lockTables says: Redshift enforces no primary key, so two
      // first claims under SNAPSHOT isolation could otherwise both insert the lane's row.
      await client.query(this.dialect.lockCheckpointTable(stateSchema, contract));
      const init = this.dialect.initCheckpoint(stateSchema, contract, topic, partition);
      await client.query(init.text, init.values);
      const claim = this.dialect.claimCheckpoint(stateSchema, contract, topic, partition, owner, new Date());
      const claimed = await client.query(claim.text, claim.values);
      const claimedRows = claimed.rowCount ?? 0;
      if (claimedRows > 1) throw new DuplicateCheckpointRows(contract.name, partition, claimedRows);
      const read = this.dialect.readClaim(stateSchema, contract, topic, partition);
      const row = (await client.query<{ last_offset: string; epoch: string }>(read.text, read.values))
        .rows[0]!;
      return { lastOffset: Number(row.last_offset), epoch: Number(row.epoch) };
    });
  }

  /**
   * Tombstone tables of older releases lack the record time: Redshift has no ADD COLUMN IF
   * NOT EXISTS, so the columns are listed first, and the column is added on its own
   * (autocommit). Undated tombstones are then dated now, so each starts a full retention.
   */
  override async prepareState(contract: TableContract): Promise<void> {
    await super.prepareState(contract);
    if (!contract.version) return;
    const { stateSchema } = this.options;
    const listed = this.dialect.listTombstoneColumns(stateSchema, contract);
    const { rows } = await this.query<{ column_name: string }>(listed.text, listed.values);
    if (rows.some((r) => r.column_name === RECORDED_AT)) return;
    await this.withClient(this.ddlTimeoutMs, async (client) => {
      await client.query(this.dialect.addTombstoneRecordedAt(stateSchema, contract));
      const dated = this.dialect.dateUndatedTombstones(stateSchema, contract, new Date());
      await client.query(dated.text, dated.values);
    });
  }

  /** Locking phase, under the short statement timeout the transaction began with. */
  protected async beginWrites(client: PoolClient, contract: TableContract): Promise<void> {
    const { stateSchema } = this.options;
    if (this.options.lockTables) await client.query(this.dialect.lockTables(stateSchema, contract));
    if (this.options.emulateTableLevelConflicts) {
      for (const read of this.dialect.readTouchedTables(stateSchema, contract)) await client.query(read);
    }
  }

  /** Load phase, under the load timeout: the locks are held, COPY may take a while. */
  protected async loadPhase(client: PoolClient, batch: StagedBatch): Promise<void> {
    await client.query(this.dialect.statementTimeout(this.options.loadTimeoutMs));
    await this.loadAndMerge(client, batch, this.options.loader, this.options.afterCopy);
    await client.query(this.dialect.dropStagingTable());
  }

  private withClient<T>(timeoutMs: number, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withPooledClient(this.pool, this.classify, async (client) => {
      await client.query(this.dialect.statementTimeout(timeoutMs));
      return work(client);
    });
  }
}

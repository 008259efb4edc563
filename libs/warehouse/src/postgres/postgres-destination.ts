import type { TableContract } from '@app/config';
import type { PoolClient, PoolConfig } from 'pg';
import type { LaneClaim, StagedBatch } from '../destination.port';
import { PostgresDialect } from './postgres-dialect';
import { classifyPostgresError } from './postgres-errors';
import { CopyFromStdinLoader } from '../copy-from-stdin-loader';
import { PgProtocolDestination } from '../pg-protocol-destination';
import type { StagingLoader } from '../staging-loader';

export interface PostgresDestinationOptions {
  pool: PoolConfig;
  stateSchema: string;
  createTables: boolean;
  lockTimeoutMs: number;
  /** Lock wait bound for DDL; defaults to lockTimeoutMs. */
  ddlLockTimeoutMs?: number;
  /** Moves the staged file into the staging table; default: COPY FROM STDIN, streamed through the connection. */
  loader?: StagingLoader;
  /** Isolation of merge transactions; READ COMMITTED is safe because each table has one writer. */
  isolation?: 'read committed' | 'serializable';
  /**
   * Test-only: read every touched table in full at the start of each merge transaction, so that
   * PostgreSQL's SERIALIZABLE detects conflicts at table granularity, as Redshift does.
   */
  emulateTableLevelConflicts?: boolean;
  /** Test-only fault point between the COPY and the merge. */
  afterCopy?: () => void;
  /** How long deletes are remembered; default 7 days (see PgProtocolOptions). */
  tombstoneRetentionMs?: number;
  /** At most one tombstone prune per table per this interval; default 10 minutes. */
  tombstonePruneIntervalMs?: number;
}

export class PostgresDestination extends PgProtocolDestination<PostgresDialect> {
  private readonly loader: StagingLoader;

  constructor(private readonly options: PostgresDestinationOptions) {
    super(new PostgresDialect(), options, classifyPostgresError);
    this.loader = options.loader ?? new CopyFromStdinLoader();
  }

  async prepareTarget(contract: TableContract): Promise<void> {
    if (!this.options.createTables) return;
    // Read first, outside any DDL transaction: most of the time there is nothing to change and
    // no lock stronger than a catalog read is ever requested.
    const existing = await this.existingColumns(contract);
    const ddlTimeout = this.ddlTimeoutMs;
    if (existing.size === 0) {
      await this.inTransaction(async (client) => {
        await client.query(this.dialect.createSchema(contract.schema));
        await client.query(this.dialect.createTargetTable(contract));
      }, ddlTimeout);
      return;
    }
    for (const column of contract.columns.filter((c) => !existing.has(c.name))) {
      // Adding a nullable column is safe: the sink is the table's only writer. The short DDL
      // lock timeout bounds how long readers can queue behind the waiting ALTER.
      await this.inTransaction(
        (client) => client.query(this.dialect.addColumn(contract, column)),
        ddlTimeout,
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
      const init = this.dialect.initCheckpoint(stateSchema, contract, topic, partition);
      await client.query(init.text, init.values);
      const claim = this.dialect.claimCheckpoint(stateSchema, contract, topic, partition, owner);
      const row = (await client.query<{ last_offset: string; epoch: string }>(claim.text, claim.values))
        .rows[0]!;
      return { lastOffset: Number(row.last_offset), epoch: Number(row.epoch) };
    });
  }

  protected async beginWrites(client: PoolClient, contract: TableContract): Promise<void> {
    if (!this.options.emulateTableLevelConflicts) return;
    for (const read of this.dialect.readTouchedTables(this.options.stateSchema, contract))
      await client.query(read);
  }

  protected loadPhase(client: PoolClient, batch: StagedBatch): Promise<void> {
    return this.loadAndMerge(client, batch, this.loader, this.options.afterCopy);
  }
}

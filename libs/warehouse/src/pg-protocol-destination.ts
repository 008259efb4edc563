import type { TableContract } from '@app/config';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { Blocker, CheckpointRow, Destination, LaneClaim, StagedBatch } from './destination.port';
import type { Dialect } from './dialect';
import { StagingCountMismatch } from './errors';
import { createResilientPool, inPooledTransaction } from './pg-session';
import type { StagingLoader } from './staging-loader';

export interface PgProtocolOptions {
  pool: PoolConfig;
  stateSchema: string;
  createTables: boolean;
  lockTimeoutMs: number;
  /** Lock wait bound for DDL; defaults to lockTimeoutMs. */
  ddlLockTimeoutMs?: number;
  /** `serializable` begins every transaction with ISOLATION LEVEL SERIALIZABLE. */
  isolation?: string;
}

/**
 * What every warehouse spoken to over the PostgreSQL protocol (PostgreSQL, Aurora, Redshift)
 * does the same way: the pool, tablelane's state tables, catalog and checkpoint reads,
 * blockers, and bounded transactions. Each warehouse adds its own claim, DDL and merge.
 */
export abstract class PgProtocolDestination<D extends Dialect> implements Destination {
  protected readonly pool: Pool;

  protected constructor(
    protected readonly dialect: D,
    private readonly base: PgProtocolOptions,
  ) {
    this.pool = createResilientPool(base.pool);
  }

  abstract prepareTarget(contract: TableContract): Promise<void>;
  abstract claimLane(
    contract: TableContract,
    topic: string,
    partition: number,
    owner: string,
  ): Promise<LaneClaim>;
  abstract applyBatch(batch: StagedBatch): Promise<void>;

  async prepareState(contract: TableContract): Promise<void> {
    const { stateSchema } = this.base;
    await this.inTransaction(async (client) => {
      await client.query(this.dialect.createSchema(stateSchema));
      await client.query(this.dialect.createCheckpointTable(stateSchema, contract));
      if (contract.version) await client.query(this.dialect.createTombstoneTable(stateSchema, contract));
    }, this.ddlTimeoutMs);
  }

  async prepareTable(contract: TableContract): Promise<void> {
    await this.prepareState(contract);
    await this.prepareTarget(contract);
  }

  async findBlockers(contract: TableContract, forDdl: boolean): Promise<Blocker[]> {
    const query = this.dialect.findBlockers(this.base.stateSchema, contract, forDdl);
    const { rows } = await this.pool.query(query.text, query.values);
    return rows.map((r) => ({
      pid: r.pid,
      // Redshift pads user names (char columns).
      user: r.user === null ? null : String(r.user).trim(),
      application: r.application,
      client: r.client,
      state: r.state,
      transactionAgeSeconds: r.transaction_age_seconds === null ? null : Number(r.transaction_age_seconds),
      query: r.query,
      relation: r.relation,
      mode: r.mode,
    }));
  }

  async cancelSession(pid: number): Promise<boolean> {
    const query = this.dialect.cancelSession(pid);
    const { rows } = await this.pool.query<{ cancelled: boolean | number }>(query.text, query.values);
    // PostgreSQL answers a boolean, Redshift a number.
    const cancelled = rows[0]?.cancelled;
    return cancelled === true || Number(cancelled) === 1;
  }

  async readCheckpoints(contract: TableContract): Promise<CheckpointRow[]> {
    const result = await this.pool.query(this.dialect.readCheckpoints(this.base.stateSchema, contract));
    return result.rows.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      lastOffset: Number(r.last_offset),
      epoch: Number(r.epoch),
      owner: r.owner,
      committedAt: r.committed_at,
    }));
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Inside a merge transaction whose checkpoint compare-and-set already passed: creates the
   * staging table, loads the staged file with `loader`, refuses a partial file (the loaded row
   * count must equal the staged one), then folds the staging table into the target.
   */
  protected async loadAndMerge(
    client: PoolClient,
    batch: StagedBatch,
    loader: StagingLoader,
    afterCopy?: () => void,
  ): Promise<void> {
    const { contract } = batch;
    await client.query(this.dialect.createStagingTable(contract));
    const loaded = await loader.load(client, batch);
    if (loaded !== batch.rowCount) throw new StagingCountMismatch(contract.name, batch.rowCount, loaded);
    afterCopy?.();
    for (const statement of this.dialect.mergeStatements(this.base.stateSchema, contract))
      await client.query(statement);
  }

  /** Column names the target has now; empty when it does not exist. A catalog read, outside any transaction. */
  protected async existingColumns(contract: TableContract): Promise<Set<string>> {
    const listed = this.dialect.listColumns(contract);
    const { rows } = await this.pool.query<{ column_name: string }>(listed.text, listed.values);
    return new Set(rows.map((r) => r.column_name));
  }

  protected get ddlTimeoutMs(): number {
    return this.base.ddlLockTimeoutMs ?? this.base.lockTimeoutMs;
  }

  /**
   * One transaction whose every lock wait is bounded, so the loader never hangs and never sits
   * in a lock queue in front of readers for long.
   */
  protected inTransaction<T>(
    work: (client: PoolClient) => Promise<T>,
    lockTimeoutMs = this.base.lockTimeoutMs,
  ): Promise<T> {
    const begin = this.base.isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN';
    return inPooledTransaction(this.pool, begin, [this.dialect.lockTimeout(lockTimeoutMs)], work);
  }
}

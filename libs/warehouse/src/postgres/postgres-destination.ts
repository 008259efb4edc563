import type { TableContract } from '@app/config';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { Blocker, CheckpointRow, Destination, LaneClaim, StagedBatch } from '../destination.port';
import { FencedError, StagingCountMismatch } from '../errors';
import { PostgresDialect } from './postgres-dialect';
import { CopyFromStdinLoader } from '../copy-from-stdin-loader';
import { inPooledTransaction } from '../pg-session';
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
}

export class PostgresDestination implements Destination {
  private readonly pool: Pool;
  private readonly dialect = new PostgresDialect();
  private readonly loader: StagingLoader;

  constructor(private readonly options: PostgresDestinationOptions) {
    this.pool = new Pool(options.pool);
    this.loader = options.loader ?? new CopyFromStdinLoader();
    // An idle client that loses its connection must not crash the process; the next query retries.
    this.pool.on('error', () => undefined);
  }

  async prepareState(contract: TableContract): Promise<void> {
    const { stateSchema } = this.options;
    await this.inTransaction(async (client) => {
      await client.query(this.dialect.createSchema(stateSchema));
      await client.query(this.dialect.createCheckpointTable(stateSchema, contract));
      if (contract.version) await client.query(this.dialect.createTombstoneTable(stateSchema, contract));
    });
  }

  async prepareTarget(contract: TableContract): Promise<void> {
    if (!this.options.createTables) return;
    // Read first, outside any DDL transaction: most of the time there is nothing to change and
    // no lock stronger than a catalog read is ever requested.
    const listed = this.dialect.listColumns(contract);
    const existing = new Set(
      (await this.pool.query<{ column_name: string }>(listed.text, listed.values)).rows.map(
        (r) => r.column_name,
      ),
    );
    const ddlTimeout = this.options.ddlLockTimeoutMs ?? this.options.lockTimeoutMs;
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

  async prepareTable(contract: TableContract): Promise<void> {
    await this.prepareState(contract);
    await this.prepareTarget(contract);
  }

  async findBlockers(contract: TableContract, forDdl: boolean): Promise<Blocker[]> {
    const query = this.dialect.findBlockers(this.options.stateSchema, contract, forDdl);
    const { rows } = await this.pool.query(query.text, query.values);
    return rows.map((r) => ({
      pid: r.pid,
      user: r.user,
      application: r.application,
      client: r.client,
      state: r.state,
      transactionAgeSeconds: r.transaction_age_seconds,
      query: r.query,
      relation: r.relation,
      mode: r.mode,
    }));
  }

  async cancelSession(pid: number): Promise<boolean> {
    const query = this.dialect.cancelSession(pid);
    const { rows } = await this.pool.query<{ cancelled: boolean }>(query.text, query.values);
    return rows[0]?.cancelled === true;
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

  async applyBatch(batch: StagedBatch): Promise<void> {
    const { contract } = batch;
    const { stateSchema } = this.options;
    await this.inTransaction(async (client) => {
      if (this.options.emulateTableLevelConflicts) {
        for (const read of this.dialect.readTouchedTables(stateSchema, contract)) await client.query(read);
      }
      // The checkpoint compare-and-set comes first: it takes the lane's row lock, so a
      // concurrent owner waits here, and a stale one (older epoch) fails before doing any work.
      const cas = this.dialect.advanceCheckpoint(stateSchema, contract, {
        topic: batch.topic,
        partition: batch.partition,
        epoch: batch.claim.epoch,
        previousOffset: batch.claim.lastOffset,
        nextOffset: batch.nextOffset,
      });
      const advanced = await client.query(cas.text, cas.values);
      if (advanced.rowCount !== 1) throw new FencedError(contract.name, batch.partition, batch.claim.epoch);

      await client.query(this.dialect.createStagingTable(contract));
      const loaded = await this.loader.load(client, batch);
      if (loaded !== batch.rowCount) throw new StagingCountMismatch(contract.name, batch.rowCount, loaded);
      this.options.afterCopy?.();

      for (const statement of this.dialect.mergeStatements(stateSchema, contract))
        await client.query(statement);
    });
  }

  async readCheckpoints(contract: TableContract): Promise<CheckpointRow[]> {
    const result = await this.pool.query(this.dialect.readCheckpoints(this.options.stateSchema, contract));
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

  private inTransaction<T>(
    work: (client: PoolClient) => Promise<T>,
    lockTimeoutMs = this.options.lockTimeoutMs,
  ): Promise<T> {
    const begin = this.options.isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN';
    // Every statement of the loader waits for locks a bounded time, so it never hangs and
    // never sits in a lock queue in front of readers for long.
    return inPooledTransaction(this.pool, begin, [this.dialect.lockTimeout(lockTimeoutMs)], work);
  }
}

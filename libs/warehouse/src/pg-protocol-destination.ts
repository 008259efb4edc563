import type { TableContract } from '@app/config';
import type { Pool, PoolClient, PoolConfig, QueryResult, QueryResultRow } from 'pg';
import type {
  ApplyResult,
  Blocker,
  CheckpointRow,
  Destination,
  LaneClaim,
  SnapshotRunRow,
  StagedBatch,
} from './destination.port';
import type { Dialect, Query } from './dialect';
import { DuplicateCheckpointRows, FencedError, isDataError, StagingCountMismatch } from './errors';
import type { PgErrorClassifier } from './pg-protocol-errors';
import { createResilientPool, inPooledTransaction, withPooledClient } from './pg-session';
import type { StagingLoader } from './staging-loader';
import { legacyStateTableName, stateTableName, type LegacyStateTableKind } from './state-tables';

/** Default tombstone retention: a week, beyond the changes topic's default Kafka retention. */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** Default bound on how often one table's tombstones are pruned. */
export const DEFAULT_TOMBSTONE_PRUNE_INTERVAL_MS = 10 * 60 * 1000;

export interface PgProtocolOptions {
  pool: PoolConfig;
  stateSchema: string;
  createTables: boolean;
  lockTimeoutMs: number;
  /** Lock wait bound for DDL; defaults to lockTimeoutMs. */
  ddlLockTimeoutMs?: number;
  /** `serializable` begins every transaction with ISOLATION LEVEL SERIALIZABLE. */
  isolation?: string;
  /**
   * How long a delete is remembered (its tombstone kept) so that an older upsert cannot
   * resurrect the row. Must exceed the longest a change can be delayed before it reaches the
   * sink (the changes topic's Kafka retention bounds it). Default 7 days.
   */
  tombstoneRetentionMs?: number;
  /** At most one prune per table per this interval, inside a merge transaction. Default 10 minutes. */
  tombstonePruneIntervalMs?: number;
}

/**
 * What every warehouse spoken to over the PostgreSQL protocol (PostgreSQL, Aurora, Redshift)
 * does the same way: the pool, tablelane's state tables, catalog and checkpoint reads,
 * blockers, and bounded transactions. Each warehouse adds its own claim, DDL and merge.
 */
export abstract class PgProtocolDestination<D extends Dialect> implements Destination {
  protected readonly pool: Pool;
  private readonly tombstoneRetentionMs: number;
  private readonly tombstonePruneIntervalMs: number;
  /** When each table's tombstones were last pruned by a committed transaction (epoch ms). */
  private readonly lastPruned = new Map<string, number>();

  protected constructor(
    protected readonly dialect: D,
    private readonly base: PgProtocolOptions,
    /** The warehouse's own reading of its errors (SQLSTATEs, vendor errors): see pg-protocol-errors.ts. */
    protected readonly classify: PgErrorClassifier,
  ) {
    this.tombstoneRetentionMs = wholeMs(
      'tombstoneRetentionMs',
      base.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS,
      1,
    );
    this.tombstonePruneIntervalMs = wholeMs(
      'tombstonePruneIntervalMs',
      base.tombstonePruneIntervalMs ?? DEFAULT_TOMBSTONE_PRUNE_INTERVAL_MS,
      0,
    );
    this.pool = createResilientPool(base.pool);
  }

  abstract prepareTarget(contract: TableContract): Promise<void>;
  abstract claimLane(
    contract: TableContract,
    topic: string,
    partition: number,
    owner: string,
  ): Promise<LaneClaim>;
  /**
   * The writes' opening statements, before the checkpoint compare-and-set: the warehouse's
   * table locks or test emulations. Probes run them too, so they lock exactly as merges do.
   */
  protected abstract beginWrites(client: PoolClient, contract: TableContract): Promise<void>;
  /** Staging load, count check and merge, inside the transaction (see loadAndMerge). */
  protected abstract loadPhase(client: PoolClient, batch: StagedBatch): Promise<void>;

  async prepareState(contract: TableContract): Promise<void> {
    const { stateSchema } = this.base;
    await this.inTransaction(async (client) => {
      await client.query(this.dialect.createSchema(stateSchema));
      const migrateCheckpoint = await this.legacyToMigrate(client, contract, 'checkpoint');
      await client.query(this.dialect.createCheckpointTable(stateSchema, contract));
      if (migrateCheckpoint)
        await client.query(
          this.dialect.copyLegacyState(stateSchema, contract, 'checkpoint', migrateCheckpoint),
        );
      await this.prepareSnapshotTables(client, contract);
      if (!contract.version) return;
      const migrateTombstones = await this.legacyToMigrate(client, contract, 'tombstone');
      const [create, ...upgrades] = this.dialect.prepareTombstoneTable(stateSchema, contract);
      await client.query(create!);
      if (migrateTombstones)
        await client.query(
          this.dialect.copyLegacyState(stateSchema, contract, 'tombstone', migrateTombstones),
        );
      for (const statement of upgrades) await client.query(statement);
    }, this.ddlTimeoutMs);
  }

  /** After the checkpoint and tombstones (prepareState): a merge table's snapshot tables. */
  private async prepareSnapshotTables(client: PoolClient, contract: TableContract): Promise<void> {
    if (contract.mode === 'append') return;
    for (const statement of this.dialect.prepareSnapshotTables(this.base.stateSchema, contract))
      await client.query(statement);
  }

  async readSnapshotRuns(contract: TableContract): Promise<SnapshotRunRow[]> {
    if (contract.mode === 'append') return [];
    const { rows } = await this.query(this.dialect.readSnapshotRuns(this.base.stateSchema, contract));
    const count = (value: unknown) => (value === null || value === undefined ? null : Number(value));
    return rows.map((r) => ({
      run: String(r.run).trim(),
      state: String(r.state).trim() as SnapshotRunRow['state'],
      begunAt: r.begun_at ? new Date(r.begun_at) : null,
      endedAt: r.ended_at ? new Date(r.ended_at) : null,
      rowsSeen: Number(r.rows_seen),
      rowsExpected: count(r.rows_expected),
      total: count(r.total),
    }));
  }

  async applyBatch(batch: StagedBatch): Promise<ApplyResult> {
    const { contract } = batch;
    // Built before the transaction: a batch that would not advance is refused before any SQL.
    const cas = this.dialect.advanceCheckpoint(this.base.stateSchema, contract, {
      topic: batch.topic,
      partition: batch.partition,
      epoch: batch.claim.epoch,
      previousOffset: batch.claim.lastOffset,
      nextOffset: batch.nextOffset,
    });
    const pruneDue = this.tombstonePruneDue(contract);
    const result = await this.inTransaction(
      async (client): Promise<ApplyResult> => {
        await this.beginWrites(client, contract);
        // The checkpoint compare-and-set comes first among the writes: it takes the lane's row
        // lock, so a concurrent owner waits here, and a stale one fails before doing any work.
        const advanced = (await client.query(cas.text, cas.values)).rowCount ?? 0;
        if (advanced === 0) return this.afterMissedAdvance(client, batch);
        // Redshift does not enforce the checkpoint's primary key.
        if (advanced > 1) throw new DuplicateCheckpointRows(contract.name, batch.partition, advanced);
        await this.loadPhase(client, batch);
        if (pruneDue) {
          const prune = this.dialect.pruneTombstones(
            this.base.stateSchema,
            contract,
            this.tombstoneRetentionMs,
          );
          await client.query(prune.text, prune.values);
        }
        return { alreadyCommitted: false };
      },
      undefined,
      (outcome) => !outcome.alreadyCommitted,
    );
    if (pruneDue && !result.alreadyCommitted) this.lastPruned.set(contract.name, Date.now());
    return result;
  }

  async probeBatch(batch: StagedBatch): Promise<unknown | undefined> {
    try {
      await this.inTransaction(
        async (client) => {
          await this.beginWrites(client, batch.contract);
          await this.loadPhase(client, batch);
        },
        undefined,
        () => false,
      );
      return undefined;
    } catch (error) {
      if (isDataError(error)) return error;
      throw error;
    }
  }

  async prepareTable(contract: TableContract): Promise<void> {
    await this.prepareState(contract);
    await this.prepareTarget(contract);
  }

  async findBlockers(contract: TableContract, forDdl: boolean): Promise<Blocker[]> {
    const query = this.dialect.findBlockers(this.base.stateSchema, contract, forDdl);
    const { rows } = await this.query(query.text, query.values);
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

  cancelSession(pid: number): Promise<boolean> {
    return this.signalSession(this.dialect.cancelSession(pid));
  }

  terminateSession(pid: number): Promise<boolean> {
    return this.signalSession(this.dialect.terminateSession(pid));
  }

  private async signalSession(query: Query): Promise<boolean> {
    const { rows } = await this.query<{ cancelled: boolean | number }>(query.text, query.values);
    // PostgreSQL answers a boolean, Redshift a number.
    const cancelled = rows[0]?.cancelled;
    return cancelled === true || Number(cancelled) === 1;
  }

  async readCheckpoints(contract: TableContract): Promise<CheckpointRow[]> {
    const result = await this.query(this.dialect.readCheckpoints(this.base.stateSchema, contract));
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
    const { contract, shape } = batch;
    const { stateSchema } = this.base;
    await client.query(this.dialect.createStagingTable(contract, shape));
    // A batch without rows (snapshot markers only) has no staged file to load.
    const loaded = batch.rowCount === 0 ? 0 : await loader.load(client, batch);
    if (loaded !== batch.rowCount) throw new StagingCountMismatch(contract.name, batch.rowCount, loaded);
    afterCopy?.();
    const snapshot =
      shape?.snapshot && this.dialect.snapshotStatements(stateSchema, contract, shape.snapshot);
    for (const query of snapshot?.beforeMerge ?? []) await client.query(query.text, query.values);
    for (const statement of this.dialect.mergeStatements(stateSchema, contract, shape))
      await client.query(statement);
    for (const query of snapshot?.afterMerge ?? []) await client.query(query.text, query.values);
  }

  /**
   * The compare-and-set missed. After an ambiguous COMMIT the retry of the very batch that
   * committed lands here: the checkpoint then carries our epoch at exactly our nextOffset,
   * and only this owner can have put it there (its epoch is ours alone, and each of its
   * batches ends at a different offset). Anything else means another owner moved the lane.
   */
  private async afterMissedAdvance(client: PoolClient, batch: StagedBatch): Promise<ApplyResult> {
    const read = this.dialect.readClaim(this.base.stateSchema, batch.contract, batch.topic, batch.partition);
    const { rows } = await client.query<{ last_offset: string; epoch: string }>(read.text, read.values);
    const found =
      rows.length === 1
        ? { lastOffset: Number(rows[0]!.last_offset), epoch: Number(rows[0]!.epoch) }
        : undefined;
    if (found?.epoch === batch.claim.epoch && found.lastOffset === batch.nextOffset)
      return { alreadyCommitted: true };
    throw new FencedError(batch.contract.name, batch.partition, batch.claim.epoch, found);
  }

  private tombstonePruneDue(contract: TableContract): boolean {
    if (!contract.version) return false;
    const last = this.lastPruned.get(contract.name);
    return last === undefined || Date.now() - last >= this.tombstonePruneIntervalMs;
  }

  /**
   * The legacy name of the contract's state table when it must be migrated: injective naming
   * renamed it (the contract's name was ambiguous), the current table does not exist yet and
   * the legacy one does. Its rows are copied, so each table keeps exactly the checkpoints and
   * tombstones it read before the rename (if two colliding tables shared the legacy table,
   * both inherit it whole, which is what each of them consulted until now).
   */
  private async legacyToMigrate(
    client: PoolClient,
    contract: TableContract,
    kind: LegacyStateTableKind,
  ): Promise<string | undefined> {
    const legacy = legacyStateTableName(contract, kind);
    if (legacy === stateTableName(contract, kind)) return undefined;
    const exists = async (name: string) => {
      const query = this.dialect.stateTableExists(this.base.stateSchema, name);
      return ((await client.query(query.text, query.values)).rowCount ?? 0) > 0;
    };
    if (await exists(stateTableName(contract, kind))) return undefined;
    return (await exists(legacy)) ? legacy : undefined;
  }

  /** Column names the target has now; empty when it does not exist. A catalog read, outside any transaction. */
  protected async existingColumns(contract: TableContract): Promise<Set<string>> {
    const listed = this.dialect.listColumns(contract);
    const { rows } = await this.query<{ column_name: string }>(listed.text, listed.values);
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
    commit?: (result: T) => boolean,
  ): Promise<T> {
    const begin = this.base.isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN';
    return inPooledTransaction(
      this.pool,
      this.classify,
      begin,
      [this.dialect.lockTimeout(lockTimeoutMs), ...this.dialect.plannerSettings()],
      work,
      commit,
    );
  }

  /** One statement outside any transaction, its failure classified like every other. */
  protected query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    return withPooledClient(this.pool, this.classify, (client) => client.query<R>(text, values));
  }
}

function wholeMs(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of ms of at least ${min}, not ${value}`);
  return value;
}

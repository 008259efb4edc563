import type { ColumnContract, ColumnType, TableContract } from '@app/config';
import { CheckpointNotAdvancing } from './errors';
import { columnsQuery, tableExistsQuery } from './information-schema';
import { qualify, quoteIdent } from './quote';
import { OP_COLUMN } from './staged-row';
import { fillFromColumn, KEEP_COLUMN, type SnapshotShape, type StagingShape } from './staging-shape';
import { stateTableName, type LegacyStateTableKind } from './state-tables';

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
    kind: LegacyStateTableKind,
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
  /** The transaction's staging table, with the columns `shape` stages (stagedColumns); ordinary when not given. */
  createStagingTable(contract: TableContract, shape?: StagingShape): string;
  /**
   * Statements that fold the staging table into the target; run in the checkpoint's transaction.
   * `shape` (ordinary when not given) adds what a batch of CDC shapes needs before the usual
   * statements: a truncate first, then the kept columns' fill.
   */
  mergeStatements(stateSchema: string, contract: TableContract, shape?: StagingShape): string[];
  /**
   * Creates a merge table's snapshot tables: the keys the open run has seen (on PostgreSQL with a
   * unique index on run and key) and the runs, each with where it stands.
   */
  prepareSnapshotTables(stateSchema: string, contract: TableContract): string[];
  /**
   * What a batch's part in a snapshot run adds to its merge, in the merge's transaction: before
   * the merge statements (so before the version guard drops any staged change), the run's
   * opening and every staged key marked as seen; after them, the end's delete of unseen rows
   * (tombstoned first on versioned tables) or a cancel, and the run's counts. The run id travels
   * as a parameter. `at` dates what they record.
   */
  snapshotStatements(
    stateSchema: string,
    contract: TableContract,
    snapshot: SnapshotShape,
    at?: Date,
  ): SnapshotStatements;
  /** The table's snapshot runs, the open one first, then the latest: SNAPSHOT_RUN_COLUMNS. */
  readSnapshotRuns(stateSchema: string, contract: TableContract): string;
  /** Reads every table a merge touches, in full; emulates Redshift's table-level conflicts in tests. */
  readTouchedTables(stateSchema: string, contract: TableContract): string[];
  /** Deletes the table's tombstones recorded more than retentionMs ago. */
  pruneTombstones(stateSchema: string, contract: TableContract, retentionMs: number): Query;
  lockTimeout(ms: number): string;
  /** Planner settings of our own transactions (SET LOCAL: the users' sessions never see them). */
  plannerSettings(): string[];
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

/** What a snapshot shape runs before and after a batch's merge statements. */
export interface SnapshotStatements {
  beforeMerge: Query[];
  afterMerge: Query[];
}

/** The snapshot keys table's run column; its others are the contract's key columns. */
export const SNAPSHOT_RUN_COLUMN = '__tl_run';
/** Where a run stands: `incomplete` ended without deleting (some of its rows were refused). */
export type SnapshotRunState = 'open' | 'done' | 'incomplete' | 'cancelled';
/** The snapshot runs table's columns, in the order readSnapshotRuns reads them. */
export const SNAPSHOT_RUN_COLUMNS = [
  'run',
  'state',
  'begun_at',
  'ended_at',
  'rows_seen',
  'rows_expected',
  'total',
] as const;
/** How many runs readSnapshotRuns reads: the open one and the latest before it. */
const SNAPSHOT_RUNS_READ = 20;
// The run ids validation admits (at most 200 characters: validate-change.ts of @app/contracts).
const RUN_TYPE = 'varchar(200)';

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

/** The checkpoint table's columns, in the order every dialect creates, copies and reads them. */
export const CHECKPOINT_COLUMNS = [
  'topic',
  'partition',
  'last_offset',
  'epoch',
  'owner',
  'claimed_at',
  'committed_at',
] as const;
export type CheckpointColumn = (typeof CHECKPOINT_COLUMNS)[number];

/**
 * The statements PostgreSQL and Redshift spell alike, built once here, and the names both
 * build the rest from. Each dialect extends it (`... extends SqlDialect implements Dialect`)
 * with what its warehouse spells its own way, says how it types a column and bounds lock
 * waits, and passes how its SQL names a checkpoint column; no dialect builds another.
 */
export abstract class SqlDialect {
  protected readonly stage = quoteIdent(STAGING_TABLE);
  protected readonly op = quoteIdent(OP_COLUMN);

  /** `checkpointColumn`: a checkpoint column as the dialect's SQL names it (Redshift quotes them). */
  protected constructor(private readonly checkpointColumn: (name: CheckpointColumn) => string) {}

  /** The column's type in this warehouse's DDL. */
  protected abstract columnType(column: ColumnContract): string;

  /** The statement that bounds lock waits to `ms`, already checked to be a positive whole number. */
  protected abstract lockWaitBound(ms: number): string;

  /** What follows the snapshot keys table's CREATE: PostgreSQL's unique index on run and key. */
  protected abstract snapshotKeyIndex(state: string, c: TableContract): string[];

  /** Adds every staged key (not a truncate's row) to the run's seen keys, once each. */
  protected abstract markSeen(state: string, c: TableContract, run: string): Query;

  /**
   * A finished run's delete: every target row whose key the run did not see goes, in place;
   * on a versioned table it is first remembered as a tombstone at the row's own version, so a
   * stale change cannot bring it back. `at` dates the tombstones where the dialect must.
   */
  protected abstract deleteUnseen(state: string, c: TableContract, run: string, at: Date): Query[];

  /**
   * What follows the column list of a CREATE TABLE of the contract (Redshift: its distribution
   * and, for `sorted` tables, sort keys); nothing by default.
   */
  protected tableAttributes(_c: TableContract, _sorted: boolean): string {
    return '';
  }

  /** The contract's target table, qualified and quoted. */
  protected target(c: TableContract): string {
    return qualify(c.schema, c.table);
  }

  /** The contract's checkpoint table in the state schema, qualified and quoted. */
  protected checkpoint(state: string, c: TableContract): string {
    return qualify(state, stateTableName(c, 'checkpoint'));
  }

  /** The contract's tombstone table in the state schema, qualified and quoted. */
  protected tombstone(state: string, c: TableContract): string {
    return qualify(state, stateTableName(c, 'tombstone'));
  }

  /** The contract's snapshot keys table in the state schema, qualified and quoted. */
  protected snapshotKeys(state: string, c: TableContract): string {
    return qualify(state, stateTableName(c, 'snapshot'));
  }

  /** The contract's snapshot runs table in the state schema, qualified and quoted. */
  protected snapshotRuns(state: string, c: TableContract): string {
    return qualify(state, stateTableName(c, 'snapshotRun'));
  }

  /** Every table a merge of the contract touches: target, checkpoint and, when versioned, tombstones. */
  protected touched(state: string, c: TableContract): string[] {
    return [this.target(c), this.checkpoint(state, c), ...(c.version ? [this.tombstone(state, c)] : [])];
  }

  /** The columns a tombstone keeps: the primary key and the version. */
  protected keysAndVersion(c: TableContract): ColumnContract[] {
    return c.columns.filter((col) => c.primaryKey.includes(col.name) || col.name === c.version);
  }

  /** Quoted column names, comma-separated, each after `qualifier` (`s.`, `"table".`). */
  protected names(columns: ColumnContract[], qualifier = ''): string {
    return columns.map((col) => `${qualifier}${quoteIdent(col.name)}`).join(', ');
  }

  /**
   * The staging table's column definitions after the contract's and the op's: a partial batch's
   * keep flags (one character per contract column) and fill-from key, typed like the key.
   */
  protected shapeColumns(
    c: TableContract,
    shape: StagingShape,
    typeOf: (type: ColumnType) => string,
  ): string[] {
    if (!shape.partial) return [];
    const keys = this.keyColumns(c);
    return [
      `${quoteIdent(KEEP_COLUMN)} ${typeOf({ kind: 'varchar', length: c.columns.length })}`,
      ...keys.map((key, i) => `${quoteIdent(fillFromColumn(i))} ${typeOf(key.type)}`),
    ];
  }

  /** CDC shapes are for merge tables: validation refuses them on append tables, and so does the merge. */
  protected assertShapeFits(c: TableContract, shape: StagingShape): void {
    if (c.mode === 'append' && (shape.truncate || shape.partial))
      throw new Error(`table ${c.name} is append-only: its batches hold no truncate or kept columns`);
  }

  /**
   * What a batch's CDC shapes run before the usual statements, in the dialect's spelling.
   * A truncate first: `remember` (versioned tables only) writes a tombstone at the truncate's
   * version for every target row, then the target is emptied in place. DELETE, never TRUNCATE:
   * views, grants and readers survive, and it rolls back with the batch. The staged `t` row
   * goes last, so the statements after see ordinary rows only. The tombstones keep a stale
   * change (a version below the truncate's) to a key the table held out; one to a key it did
   * not hold finds none and applies, as it would have before. Then the kept columns' `fill`.
   */
  protected shapeStatements(
    c: TableContract,
    shape: StagingShape,
    spelled: { remember(): string[]; fill(): string },
  ): string[] {
    const statements: string[] = [];
    if (shape.truncate)
      statements.push(
        ...(c.version ? spelled.remember() : []),
        `DELETE FROM ${this.target(c)}`,
        `DELETE FROM ${this.stage} WHERE ${this.op} = 't'`,
      );
    if (shape.partial) statements.push(spelled.fill());
    return statements;
  }

  /**
   * What a truncate's tombstones hold, in keysAndVersion order: each target row's key (`t`
   * names the target) and the staged `t` row's version (`s` names the staging table).
   */
  protected truncatedKeysAndVersion(c: TableContract, t: string, s: string): string {
    return this.keysAndVersion(c)
      .map((col) => `${col.name === c.version ? s : t}.${quoteIdent(col.name)}`)
      .join(', ');
  }

  /**
   * A partial batch's fill, before the version guard and before anything in the target changes:
   * every kept column of a staged upsert takes the value of the target row at its fill-from key
   * (a moved row's old key) or at its own. `s` and `t` name the staging table and the target in
   * the statement, `update` and `from` declare them; `targetValue` reads a target column as the
   * staging table holds it.
   */
  protected fillKept(
    c: TableContract,
    names: { s: string; t: string; update: string; from: string },
    targetValue: (column: ColumnContract, t: string) => string = (column, t) =>
      `${t}.${quoteIdent(column.name)}`,
  ): string {
    const { s, t } = names;
    const keep = `${s}.${quoteIdent(KEEP_COLUMN)}`;
    const sets = c.columns.flatMap((col, i) =>
      c.primaryKey.includes(col.name) || col.name === c.version
        ? []
        : [
            `${quoteIdent(col.name)} = CASE WHEN SUBSTRING(${keep}, ${i + 1}, 1) = '1' ` +
              `THEN ${targetValue(col, t)} ELSE ${s}.${quoteIdent(col.name)} END`,
          ],
    );
    const match = c.primaryKey.map(
      (k, i) =>
        `${t}.${quoteIdent(k)} = COALESCE(${s}.${quoteIdent(fillFromColumn(i))}, ${s}.${quoteIdent(k)})`,
    );
    return `UPDATE ${names.update} SET ${sets.join(', ')} FROM ${names.from} WHERE ${keep} IS NOT NULL AND ${match.join(' AND ')}`;
  }

  /** Snapshots refresh merge tables: validation refuses their markers on append tables, and so does this. */
  protected assertSnapshots(c: TableContract): void {
    if (c.mode === 'append')
      throw new Error(`table ${c.name} is append-only: a snapshot refreshes merge tables only`);
  }

  /** The contract's primary-key columns, in key order. */
  protected keyColumns(c: TableContract): ColumnContract[] {
    return c.primaryKey.map((name) => c.columns.find((col) => col.name === name)!);
  }

  prepareSnapshotTables(state: string, c: TableContract): string[] {
    this.assertSnapshots(c);
    const keys = this.keyColumns(c).map((col) => `${quoteIdent(col.name)} ${this.columnType(col)} NOT NULL`);
    const seen = [`${quoteIdent(SNAPSHOT_RUN_COLUMN)} ${RUN_TYPE} NOT NULL`, ...keys];
    const [run, runState, begunAt, endedAt, rowsSeen, rowsExpected, total] =
      SNAPSHOT_RUN_COLUMNS.map(quoteIdent);
    const runs = [
      `${run} ${RUN_TYPE} NOT NULL`,
      `${runState} varchar(16) NOT NULL`,
      `${begunAt} timestamptz`,
      `${endedAt} timestamptz`,
      `${rowsSeen} bigint NOT NULL`,
      `${rowsExpected} bigint`,
      `${total} bigint`,
      `PRIMARY KEY (${run})`,
    ];
    return [
      `CREATE TABLE IF NOT EXISTS ${this.snapshotKeys(state, c)} (${seen.join(', ')})${this.tableAttributes(c, true)}`,
      ...this.snapshotKeyIndex(state, c),
      `CREATE TABLE IF NOT EXISTS ${this.snapshotRuns(state, c)} (${runs.join(', ')})`,
    ];
  }

  snapshotStatements(
    state: string,
    c: TableContract,
    snapshot: SnapshotShape,
    at: Date = new Date(),
  ): SnapshotStatements {
    this.assertSnapshots(c);
    const { run } = snapshot;
    const beforeMerge: Query[] = [];
    if (snapshot.abandoned !== undefined && snapshot.abandoned !== run)
      beforeMerge.push(
        this.forgetSeen(state, c, snapshot.abandoned),
        this.closeRun(state, c, snapshot.abandoned, 'cancelled', at, 0, null),
      );
    if (snapshot.begin) beforeMerge.push(this.openRun(state, c, snapshot, at));
    if (snapshot.markSeen) beforeMerge.push(this.markSeen(state, c, run));
    const afterMerge: Query[] = [];
    if (snapshot.end || snapshot.cancel) {
      const ending: SnapshotRunState = snapshot.cancel
        ? 'cancelled'
        : snapshot.incomplete
          ? 'incomplete'
          : 'done';
      if (ending === 'done') afterMerge.push(...this.deleteUnseen(state, c, run, at));
      afterMerge.push(
        this.forgetSeen(state, c, run),
        this.closeRun(
          state,
          c,
          run,
          ending,
          at,
          snapshot.rows,
          snapshot.cancel ? null : (snapshot.expected ?? null),
        ),
      );
    } else if (snapshot.rows > 0) {
      const [runColumn, , , , rowsSeen] = SNAPSHOT_RUN_COLUMNS.map(quoteIdent);
      afterMerge.push({
        text: `UPDATE ${this.snapshotRuns(state, c)} SET ${rowsSeen} = ${rowsSeen} + $2 WHERE ${runColumn} = $1`,
        values: [run, snapshot.rows],
      });
    }
    return { beforeMerge, afterMerge };
  }

  readSnapshotRuns(state: string, c: TableContract): string {
    this.assertSnapshots(c);
    const columns = SNAPSHOT_RUN_COLUMNS.map(quoteIdent);
    return (
      `SELECT ${columns.join(', ')} FROM ${this.snapshotRuns(state, c)} ` +
      `ORDER BY CASE WHEN ${columns[1]} = 'open' THEN 0 ELSE 1 END, ${columns[2]} DESC LIMIT ${SNAPSHOT_RUNS_READ}`
    );
  }

  /**
   * `NOT EXISTS (...)`: no key of `run` among the seen keys matches the target row `t` names;
   * `k` names the snapshot keys table in the subquery (an alias, or its bare name on Redshift).
   * The run is `$1`.
   */
  protected unseen(state: string, c: TableContract, t: string, k: string, alias: boolean): string {
    const match = c.primaryKey
      .map((key) => ` AND ${k}.${quoteIdent(key)} = ${t}.${quoteIdent(key)}`)
      .join('');
    return (
      `NOT EXISTS (SELECT 1 FROM ${this.snapshotKeys(state, c)}${alias ? ` ${k}` : ''} ` +
      `WHERE ${k}.${quoteIdent(SNAPSHOT_RUN_COLUMN)} = $1${match})`
    );
  }

  /** The run as the snapshot keys table and the runs table take it (validated: at most 200 characters). */
  protected runParameter(): string {
    return `CAST($1 AS ${RUN_TYPE})`;
  }

  /** Records the run as open, once: a second begin of the same run changes nothing. */
  private openRun(state: string, c: TableContract, snapshot: SnapshotShape, at: Date): Query {
    const [run, runState, begunAt, , rowsSeen, , total] = SNAPSHOT_RUN_COLUMNS.map(quoteIdent);
    const runs = this.snapshotRuns(state, c);
    return {
      text:
        `INSERT INTO ${runs} (${run}, ${runState}, ${begunAt}, ${rowsSeen}, ${total}) ` +
        `SELECT ${this.runParameter()}, 'open', CAST($2 AS timestamptz), 0, CAST($3 AS bigint) ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${runs} WHERE ${run} = $1)`,
      values: [snapshot.run, snapshot.begunAt ?? at, snapshot.total ?? null],
    };
  }

  /** The run's seen keys go: it ended, or was cancelled or abandoned. */
  private forgetSeen(state: string, c: TableContract, run: string): Query {
    return {
      text: `DELETE FROM ${this.snapshotKeys(state, c)} WHERE ${quoteIdent(SNAPSHOT_RUN_COLUMN)} = $1`,
      values: [run],
    };
  }

  private closeRun(
    state: string,
    c: TableContract,
    run: string,
    ending: Exclude<SnapshotRunState, 'open'>,
    at: Date,
    rows: number,
    expected: number | null,
  ): Query {
    const [runColumn, runState, , endedAt, rowsSeen, rowsExpected] = SNAPSHOT_RUN_COLUMNS.map(quoteIdent);
    return {
      text:
        `UPDATE ${this.snapshotRuns(state, c)} SET ${runState} = '${ending}', ${endedAt} = $2, ` +
        `${rowsSeen} = ${rowsSeen} + $3, ${rowsExpected} = $4 WHERE ${runColumn} = $1`,
      values: [run, at, rows, expected],
    };
  }

  createSchema(schema: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
  }

  /**
   * The target table: key columns NOT NULL, and the primary key declared (Redshift does not
   * enforce it, tablelane does by merging on it; declaring it still helps Redshift's planner).
   */
  createTargetTable(c: TableContract): string {
    const columns = c.columns.map(
      (col) =>
        `${quoteIdent(col.name)} ${this.columnType(col)}${c.primaryKey.includes(col.name) ? ' NOT NULL' : ''}`,
    );
    if (c.primaryKey.length > 0) columns.push(`PRIMARY KEY (${c.primaryKey.map(quoteIdent).join(', ')})`);
    return `CREATE TABLE IF NOT EXISTS ${this.target(c)} (${columns.join(', ')})${this.tableAttributes(c, true)}`;
  }

  listColumns(c: TableContract): Query {
    return columnsQuery(c.schema, c.table);
  }

  stateTableExists(state: string, name: string): Query {
    return tableExistsQuery(state, name);
  }

  copyLegacyState(state: string, c: TableContract, kind: LegacyStateTableKind, legacyName: string): string {
    const into = kind === 'checkpoint' ? this.checkpoint(state, c) : this.tombstone(state, c);
    const columns =
      kind === 'checkpoint'
        ? CHECKPOINT_COLUMNS.map(this.checkpointColumn).join(', ')
        : this.names(this.keysAndVersion(c));
    return `INSERT INTO ${into} (${columns}) SELECT ${columns} FROM ${qualify(state, legacyName)}`;
  }

  readClaim(state: string, c: TableContract, topic: string, partition: number): Query {
    const column = this.checkpointColumn;
    return {
      text:
        `SELECT ${column('last_offset')}, ${column('epoch')} FROM ${this.checkpoint(state, c)} ` +
        `WHERE ${column('topic')} = $1 AND ${column('partition')} = $2`,
      values: [topic, partition],
    };
  }

  readCheckpoints(state: string, c: TableContract): string {
    const column = this.checkpointColumn;
    return (
      `SELECT ${CHECKPOINT_COLUMNS.map(column).join(', ')} FROM ${this.checkpoint(state, c)} ` +
      `ORDER BY ${column('topic')}, ${column('partition')}`
    );
  }

  readTouchedTables(state: string, c: TableContract): string[] {
    return this.touched(state, c).map((t) => `SELECT count(*) FROM ${t}`);
  }

  plannerSettings(): string[] {
    return [];
  }

  lockTimeout(ms: number): string {
    if (!Number.isInteger(ms) || ms <= 0)
      throw new Error(`lock timeout must be a positive whole number of ms, not ${ms}`);
    return this.lockWaitBound(ms);
  }

  cancelSession(pid: number): Query {
    return { text: 'SELECT pg_cancel_backend($1) AS cancelled', values: [pid] };
  }

  terminateSession(pid: number): Query {
    return { text: 'SELECT pg_terminate_backend($1) AS cancelled', values: [pid] };
  }
}

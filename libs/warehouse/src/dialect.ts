import type { ColumnContract, ColumnType, TableContract } from '@app/config';
import { CheckpointNotAdvancing } from './errors';
import { columnsQuery, tableExistsQuery } from './information-schema';
import { qualify, quoteIdent } from './quote';
import { OP_COLUMN } from './staged-row';
import { fillFromColumn, KEEP_COLUMN, type StagingShape } from './staging-shape';
import { stateTableName, type StateTableKind } from './state-tables';

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
  /** The transaction's staging table, with the columns `shape` stages (stagedColumns); ordinary when not given. */
  createStagingTable(contract: TableContract, shape?: StagingShape): string;
  /**
   * Statements that fold the staging table into the target; run in the checkpoint's transaction.
   * `shape` (ordinary when not given) adds what a batch of CDC shapes needs before the usual
   * statements: a truncate first, then the kept columns' fill.
   */
  mergeStatements(stateSchema: string, contract: TableContract, shape?: StagingShape): string[];
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
    const keys = c.primaryKey.map((name) => c.columns.find((col) => col.name === name)!);
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

  copyLegacyState(state: string, c: TableContract, kind: StateTableKind, legacyName: string): string {
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

import type { ColumnContract, ColumnType, TableContract } from '@app/config';
import type { CheckpointAdvance, Dialect, Query } from '../dialect';
import {
  assertAdvances,
  CHECKPOINT_COLUMNS,
  RECORDED_AT,
  SNAPSHOT_RUN_COLUMN,
  SqlDialect,
  STAGING_TABLE,
} from '../dialect';
import { columnsQuery } from '../information-schema';
import { pgLocksBlockers } from '../postgres/postgres-catalog';
import { quoteIdent } from '../quote';
import { ORDINARY_SHAPE, stagedColumns, type StagingShape } from '../staging-shape';
import { stateTableName } from '../state-tables';
import { copyFromS3, LAST_COPY_COUNT, type CopyStatement, type RedshiftCopyOptions } from './redshift-copy';
import { redshiftStagingType, redshiftType, type RedshiftCompatibility } from './redshift-types';

export interface RedshiftDialectOptions {
  compatibility?: RedshiftCompatibility;
  /**
   * `delete-insert` (default): delete every target row of a staged key, insert the upserts.
   * Works whatever the target holds, including duplicate keys written by other writers.
   * `merge`: deletes as above, upserts with one MERGE. Redshift's MERGE allows a single WHEN
   * MATCHED action and fails when a staged row matches several target rows, so only choose it
   * when tablelane is the table's only writer.
   */
  mergeStrategy?: 'delete-insert' | 'merge';
}

// Redshift's write lock modes, as SVV_TRANSACTIONS reports them: DML takes
// ShareRowExclusiveLock, DDL and LOCK take AccessExclusiveLock, reads AccessShareLock.
const MODES_BLOCKING_DML = ['ShareRowExclusiveLock', 'AccessExclusiveLock'];
const ALL_LOCK_MODES = ['AccessShareLock', ...MODES_BLOCKING_DML];

// PARTITION is a reserved word in Redshift: every column of the checkpoint table is quoted.
const [TOPIC, PARTITION, LAST_OFFSET, EPOCH, OWNER, CLAIMED_AT, COMMITTED_AT] =
  CHECKPOINT_COLUMNS.map(quoteIdent);

/**
 * Redshift SQL, as pure functions of the table contracts. It differs from PostgreSQL where
 * Redshift does: no ON CONFLICT, no RETURNING, no aliases on the table a DELETE deletes from,
 * no ON COMMIT DROP, no lock_timeout, leader-node-only now(); timestamps therefore travel as
 * parameters, and the checkpoint row is created with INSERT ... WHERE NOT EXISTS under a LOCK.
 */
export class RedshiftDialect extends SqlDialect implements Dialect {
  readonly compatibility: RedshiftCompatibility;
  readonly mergeStrategy: 'delete-insert' | 'merge';

  constructor(options: RedshiftDialectOptions = {}) {
    super(quoteIdent);
    this.compatibility = options.compatibility ?? 'redshift';
    this.mergeStrategy = options.mergeStrategy ?? 'delete-insert';
  }

  protected columnType(column: ColumnContract): string {
    return redshiftType(column.type, this.compatibility);
  }

  /**
   * Merge tables (and their tombstones and staging table) are distributed on the first key
   * column, so the merge joins run slice-local; targets and tombstones are sorted by the key.
   */
  protected override tableAttributes(c: TableContract, sorted: boolean): string {
    if (this.compatibility !== 'redshift' || c.primaryKey.length === 0) return '';
    const distribution = ` DISTKEY (${quoteIdent(c.primaryKey[0]!)})`;
    return sorted ? `${distribution} SORTKEY (${c.primaryKey.map(quoteIdent).join(', ')})` : distribution;
  }

  /** No indexes: the seen keys are distributed and sorted like the target (tableAttributes). */
  protected snapshotKeyIndex(): string[] {
    return [];
  }

  /** No ON CONFLICT: a key already seen is skipped by NOT EXISTS. */
  protected markSeen(state: string, c: TableContract, run: string): Query {
    assertNotStagingName(c);
    const seen = quoteIdent(stateTableName(c, 'snapshot'));
    const keys = c.primaryKey.map(quoteIdent);
    return {
      text:
        `INSERT INTO ${this.snapshotKeys(state, c)} (${[quoteIdent(SNAPSHOT_RUN_COLUMN), ...keys].join(', ')}) ` +
        `SELECT ${this.runParameter()}, ${keys.map((k) => `${this.stage}.${k}`).join(', ')} FROM ${this.stage} ` +
        `WHERE ${this.stage}.${this.op} <> 't' AND ${this.unseen(state, c, this.stage, seen, false)}`,
      values: [run],
    };
  }

  /**
   * No DML in WITH and no ON CONFLICT: the unseen rows' tombstones are replaced first (dated
   * `at`, the sink's clock, as every tombstone on Redshift), then the rows go. Every column is
   * qualified by its table's bare name (no alias on the table a DELETE deletes from).
   */
  protected deleteUnseen(state: string, c: TableContract, run: string, at: Date): Query[] {
    assertNotStagingName(c);
    const t = quoteIdent(c.table);
    const seen = quoteIdent(stateTableName(c, 'snapshot'));
    const unseen = this.unseen(state, c, t, seen, false);
    const del: Query = { text: `DELETE FROM ${this.target(c)} WHERE ${unseen}`, values: [run] };
    if (!c.version) return [del];
    const b = quoteIdent(stateTableName(c, 'tombstone'));
    const match = c.primaryKey.map((k) => `${b}.${quoteIdent(k)} = ${t}.${quoteIdent(k)}`).join(' AND ');
    return [
      {
        text: `DELETE FROM ${this.tombstone(state, c)} USING ${this.target(c)} WHERE ${match} AND ${unseen}`,
        values: [run],
      },
      {
        text:
          `INSERT INTO ${this.tombstone(state, c)} (${this.names(this.keysAndVersion(c))}, ${quoteIdent(RECORDED_AT)}) ` +
          `SELECT ${this.names(this.keysAndVersion(c), `${t}.`)}, CAST($2 AS TIMESTAMPTZ) FROM ${this.target(c)} WHERE ${unseen}`,
        values: [run, at],
      },
      del,
    ];
  }

  addColumn(c: TableContract, column: ColumnContract): string {
    // Redshift has no ADD COLUMN IF NOT EXISTS: the destination lists the columns first.
    return `ALTER TABLE ${this.target(c)} ADD COLUMN ${quoteIdent(column.name)} ${this.columnType(column)}`;
  }

  createCheckpointTable(state: string, c: TableContract): string {
    return (
      `CREATE TABLE IF NOT EXISTS ${this.checkpoint(state, c)} (` +
      `${TOPIC} VARCHAR(249) NOT NULL, ${PARTITION} INTEGER NOT NULL, ${LAST_OFFSET} BIGINT NOT NULL, ` +
      `${EPOCH} BIGINT NOT NULL, ${OWNER} VARCHAR(256), ${CLAIMED_AT} TIMESTAMPTZ, ${COMMITTED_AT} TIMESTAMPTZ, ` +
      `PRIMARY KEY (${TOPIC}, ${PARTITION}))`
    );
  }

  /**
   * Redshift has no indexes: the tombstones are distributed and sorted on the key (like the
   * target), so the version guard's join runs slice-local on sorted blocks. The record time
   * has no default (now() is leader-node only): the merge writes it. Tables of older releases
   * get the column from the destination (addTombstoneRecordedAt: no ADD COLUMN IF NOT EXISTS).
   */
  prepareTombstoneTable(state: string, c: TableContract): string[] {
    if (!c.version) return [];
    const columns = [
      ...this.keysAndVersion(c).map((col) => `${quoteIdent(col.name)} ${this.columnType(col)}`),
      `${quoteIdent(RECORDED_AT)} TIMESTAMPTZ`,
    ];
    return [
      `CREATE TABLE IF NOT EXISTS ${this.tombstone(state, c)} (${columns.join(', ')})${this.tableAttributes(c, true)}`,
    ];
  }

  /** The tombstone table's columns, to tell whether an older release created it without the record time. */
  listTombstoneColumns(state: string, c: TableContract): Query {
    return columnsQuery(state, stateTableName(c, 'tombstone'));
  }

  addTombstoneRecordedAt(state: string, c: TableContract): string {
    return `ALTER TABLE ${this.tombstone(state, c)} ADD COLUMN ${quoteIdent(RECORDED_AT)} TIMESTAMPTZ`;
  }

  /** Dates the tombstones an older release left undated: each then starts a full retention. */
  dateUndatedTombstones(state: string, c: TableContract, at: Date = new Date()): Query {
    return {
      text: `UPDATE ${this.tombstone(state, c)} SET ${quoteIdent(RECORDED_AT)} = $1 WHERE ${quoteIdent(RECORDED_AT)} IS NULL`,
      values: [at],
    };
  }

  /**
   * Creates the lane's checkpoint row if it is missing. Redshift has no ON CONFLICT and does
   * not enforce the primary key, so the destination runs this under a LOCK of the checkpoint
   * table: two first claims can then never both insert.
   */
  initCheckpoint(state: string, c: TableContract, topic: string, partition: number): Query {
    return {
      text:
        `INSERT INTO ${this.checkpoint(state, c)} (${TOPIC}, ${PARTITION}, ${LAST_OFFSET}, ${EPOCH}) ` +
        'SELECT CAST($1 AS VARCHAR(249)), CAST($2 AS INTEGER), -1, 0 ' +
        `WHERE NOT EXISTS (SELECT 1 FROM ${this.checkpoint(state, c)} WHERE ${TOPIC} = $1 AND ${PARTITION} = $2)`,
      values: [topic, partition],
    };
  }

  /** Bumps the fencing epoch. No RETURNING on Redshift: readClaim reads the result back. */
  claimCheckpoint(
    state: string,
    c: TableContract,
    topic: string,
    partition: number,
    owner: string,
    at: Date = new Date(),
  ): Query {
    return {
      text:
        `UPDATE ${this.checkpoint(state, c)} SET ${EPOCH} = ${EPOCH} + 1, ${OWNER} = $3, ${CLAIMED_AT} = $4 ` +
        `WHERE ${TOPIC} = $1 AND ${PARTITION} = $2`,
      values: [topic, partition, owner, at],
    };
  }

  advanceCheckpoint(state: string, c: TableContract, cas: CheckpointAdvance, at: Date = new Date()): Query {
    assertAdvances(c.name, cas);
    return {
      text:
        `UPDATE ${this.checkpoint(state, c)} SET ${LAST_OFFSET} = $3, ${COMMITTED_AT} = $6 ` +
        `WHERE ${TOPIC} = $1 AND ${PARTITION} = $2 AND ${EPOCH} = $4 AND ${LAST_OFFSET} = $5 AND ${LAST_OFFSET} < $3`,
      values: [cas.topic, cas.partition, cas.nextOffset, cas.epoch, cas.previousOffset, at],
    };
  }

  /**
   * The staging table, built from the contract rather than `(LIKE target)`: delete rows carry
   * NULL in every non-key column, JSON arrives as text, and the operation needs its column.
   * Redshift has no ON COMMIT DROP: the destination drops it before committing, and a rolled
   * back transaction takes its CREATE with it.
   */
  createStagingTable(c: TableContract, shape: StagingShape = ORDINARY_SHAPE): string {
    assertNotStagingName(c);
    const stagingType = (type: ColumnType) => redshiftStagingType(type, this.compatibility);
    const columns = [
      ...c.columns.map((col) => `${quoteIdent(col.name)} ${stagingType(col.type)}`),
      `${this.op} CHAR(1) NOT NULL`,
      ...this.shapeColumns(c, shape, stagingType),
    ];
    return `CREATE TEMP TABLE ${this.stage} (${columns.join(', ')})${this.tableAttributes(c, false)}`;
  }

  dropStagingTable(): string {
    return `DROP TABLE ${this.stage}`;
  }

  copyFromS3(
    c: TableContract,
    uri: string,
    options: RedshiftCopyOptions,
    shape: StagingShape = ORDINARY_SHAPE,
  ): CopyStatement {
    return copyFromS3(this.stage, stagedColumns(c, shape).map(quoteIdent), uri, options);
  }

  lastCopyCount(): string {
    return LAST_COPY_COUNT;
  }

  /**
   * Folds the staging table into the target. Redshift allows no alias on the table a DELETE
   * deletes from, so every column is qualified by its table's own name. `at` dates the
   * tombstones written (now() is leader-node only, so it travels as a literal).
   */
  mergeStatements(
    state: string,
    c: TableContract,
    shape: StagingShape = ORDINARY_SHAPE,
    at: Date = new Date(),
  ): string[] {
    assertNotStagingName(c);
    this.assertShapeFits(c, shape);
    const t = quoteIdent(c.table);
    const insert = (where: string) =>
      `INSERT INTO ${this.target(c)} (${this.names(c.columns)}) SELECT ${this.values(c.columns, '')} FROM ${this.stage}${where}`;
    if (c.mode === 'append') return [insert('')];
    const statements = this.shapeStatements(c, shape, {
      remember: () => this.rememberTruncated(state, c, at),
      fill: () => this.fillKept(c, { s: this.stage, t, update: this.stage, from: this.target(c) }, this.kept),
    });
    if (c.version) {
      const b = quoteIdent(stateTableName(c, 'tombstone'));
      const v = quoteIdent(c.version);
      // The version guard: a change never overwrites a row, or undoes a delete, of a higher version.
      statements.push(
        `DELETE FROM ${this.stage} USING ${this.target(c)} WHERE ${this.keyMatch(c, t)} AND ${t}.${v} > ${this.stage}.${v}`,
        `DELETE FROM ${this.stage} USING ${this.tombstone(state, c)} WHERE ${this.keyMatch(c, b)} AND ${b}.${v} > ${this.stage}.${v}`,
      );
    }
    if (this.mergeStrategy === 'merge') {
      statements.push(
        `DELETE FROM ${this.target(c)} USING ${this.stage} WHERE ${this.keyMatch(c, t)} AND ${this.stage}.${this.op} = 'd'`,
      );
      statements.push(...this.tombstoneStatements(state, c, at));
      // MERGE allows one WHEN MATCHED action: deletes went above, so only upserts stay staged.
      statements.push(`DELETE FROM ${this.stage} WHERE ${this.op} = 'd'`);
      const nonKeys = c.columns.filter((col) => !c.primaryKey.includes(col.name));
      const assigned = nonKeys.length > 0 ? nonKeys : c.columns;
      statements.push(
        `MERGE INTO ${this.target(c)} USING ${this.stage} ON ${this.keyMatch(c, t)} ` +
          `WHEN MATCHED THEN UPDATE SET ${assigned.map((col) => `${quoteIdent(col.name)} = ${this.value(col, `${this.stage}.`)}`).join(', ')} ` +
          `WHEN NOT MATCHED THEN INSERT (${this.names(c.columns)}) VALUES (${this.values(c.columns, `${this.stage}.`)})`,
      );
      return statements;
    }
    statements.push(`DELETE FROM ${this.target(c)} USING ${this.stage} WHERE ${this.keyMatch(c, t)}`);
    statements.push(insert(` WHERE ${this.op} = 'u'`));
    statements.push(...this.tombstoneStatements(state, c, at));
    return statements;
  }

  /**
   * One LOCK of every table the merge transaction touches, in sorted order, as its first
   * statement (seed 001: lock all tables, at the start, always in the same order). Two
   * transactions that follow this rule wait for each other instead of one failing with 1023.
   */
  lockTables(state: string, c: TableContract): string {
    return `LOCK TABLE ${this.touched(state, c).sort().join(', ')}`;
  }

  /** LOCK of the checkpoint table alone, for claims: they touch nothing else. */
  lockCheckpointTable(state: string, c: TableContract): string {
    return `LOCK TABLE ${this.checkpoint(state, c)}`;
  }

  /** The cutoff comes from the sink's clock, which also dated the tombstones (the merge writes `at`). */
  pruneTombstones(state: string, c: TableContract, retentionMs: number, at: Date = new Date()): Query {
    return {
      text: `DELETE FROM ${this.tombstone(state, c)} WHERE ${quoteIdent(RECORDED_AT)} < $1`,
      values: [new Date(at.getTime() - retentionMs)],
    };
  }

  /**
   * Sessions holding a granted lock on the contract's tables in a mode that blocks our DML or
   * DDL, oldest transaction first. In the PostgreSQL-compatible mode the catalog is
   * PostgreSQL's, so pg_locks is read instead.
   */
  findBlockers(state: string, c: TableContract, forDdl: boolean): Query {
    if (this.compatibility === 'postgres') return pgLocksBlockers(this.touched(state, c), forDdl);
    const relations = [
      `${c.schema}.${c.table}`,
      `${state}.${stateTableName(c, 'checkpoint')}`,
      ...(c.version ? [`${state}.${stateTableName(c, 'tombstone')}`] : []),
    ];
    const modes = forDdl ? ALL_LOCK_MODES : MODES_BLOCKING_DML;
    const placeholders = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');
    return {
      text:
        'SELECT t.pid, t.txn_owner AS "user", NULL AS application, NULL AS client, NULL AS state, ' +
        'DATEDIFF(second, t.txn_start, GETDATE())::float8 AS transaction_age_seconds, TRIM(r.query) AS query, ' +
        "n.nspname || '.' || c.relname AS relation, t.lock_mode AS mode " +
        'FROM svv_transactions t JOIN pg_class c ON c.oid = t.relation JOIN pg_namespace n ON n.oid = c.relnamespace ' +
        "LEFT JOIN stv_recents r ON r.pid = t.pid AND r.status = 'Running' " +
        "WHERE t.granted AND t.lockable_object_type = 'relation' AND t.pid <> pg_backend_pid() " +
        `AND n.nspname || '.' || c.relname IN (${placeholders(1, relations.length)}) ` +
        `AND t.lock_mode IN (${placeholders(relations.length + 1, modes.length)}) ` +
        'ORDER BY t.txn_start, t.pid',
      values: [...relations, ...modes],
    };
  }

  /**
   * Redshift has no lock_timeout: a statement timeout is what bounds a lock wait. The
   * destination sets it short while it takes locks, then to the load budget for COPY and merge.
   * 0 means no limit. Session-level (Redshift has no SET LOCAL), so set before every phase.
   */
  statementTimeout(ms: number): string {
    if (!Number.isInteger(ms) || ms < 0)
      throw new Error(`statement timeout must be a whole number of ms (0 for none), not ${ms}`);
    return `SET statement_timeout TO ${ms}`;
  }

  protected lockWaitBound(ms: number): string {
    return this.statementTimeout(ms);
  }

  /** A truncate's tombstones: every target row's key at the staged `t` row's version, dated `at`. */
  private rememberTruncated(state: string, c: TableContract, at: Date): string[] {
    const t = quoteIdent(c.table);
    const b = quoteIdent(stateTableName(c, 'tombstone'));
    const match = c.primaryKey.map((k) => `${b}.${quoteIdent(k)} = ${t}.${quoteIdent(k)}`).join(' AND ');
    return [
      `DELETE FROM ${this.tombstone(state, c)} USING ${this.target(c)} WHERE ${match}`,
      `INSERT INTO ${this.tombstone(state, c)} (${this.names(this.keysAndVersion(c))}, ${quoteIdent(RECORDED_AT)}) ` +
        `SELECT ${this.truncatedKeysAndVersion(c, t, this.stage)}, ${timestampLiteral(at)} ` +
        `FROM ${this.target(c)}, ${this.stage} WHERE ${this.stage}.${this.op} = 't'`,
    ];
  }

  /** A kept target value as the staging table holds it: SUPER is read back as JSON text. */
  private readonly kept = (column: ColumnContract, table: string): string =>
    column.type.kind === 'json' && this.compatibility === 'redshift'
      ? `JSON_SERIALIZE(${table}.${quoteIdent(column.name)})`
      : `${table}.${quoteIdent(column.name)}`;

  private tombstoneStatements(state: string, c: TableContract, at: Date): string[] {
    if (!c.version) return [];
    const b = quoteIdent(stateTableName(c, 'tombstone'));
    const columns = this.names(this.keysAndVersion(c));
    return [
      `DELETE FROM ${this.tombstone(state, c)} USING ${this.stage} WHERE ${this.keyMatch(c, b)}`,
      `INSERT INTO ${this.tombstone(state, c)} (${columns}, ${quoteIdent(RECORDED_AT)}) ` +
        `SELECT ${columns}, ${timestampLiteral(at)} FROM ${this.stage} WHERE ${this.op} = 'd'`,
    ];
  }

  /** Matches `table`'s key columns with the staging table's, each qualified by its table's name. */
  private keyMatch(c: TableContract, table: string): string {
    return c.primaryKey
      .map((k) => `${table}.${quoteIdent(k)} = ${this.stage}.${quoteIdent(k)}`)
      .join(' AND ');
  }

  /** The staged value as the target column takes it: JSON text is parsed into SUPER. */
  private value(column: ColumnContract, qualifier: string): string {
    const staged = `${qualifier}${quoteIdent(column.name)}`;
    return column.type.kind === 'json' && this.compatibility === 'redshift'
      ? `JSON_PARSE(${staged})`
      : staged;
  }

  private values(columns: ColumnContract[], qualifier: string): string {
    return columns.map((col) => this.value(col, qualifier)).join(', ');
  }
}

/** A Date as a TIMESTAMPTZ literal; its text is digits and separators only, never user data. */
function timestampLiteral(at: Date): string {
  if (Number.isNaN(at.getTime())) throw new Error('refusing an invalid date as a timestamp literal');
  return `CAST('${at.toISOString().replace('T', ' ').replace('Z', '+00')}' AS TIMESTAMPTZ)`;
}

function assertNotStagingName(c: TableContract): void {
  // Columns are qualified by bare table names: a target named like the staging table would be ambiguous.
  if (c.table === STAGING_TABLE)
    throw new Error(`table ${c.name}: ${STAGING_TABLE} is reserved for tablelane's staging table`);
}

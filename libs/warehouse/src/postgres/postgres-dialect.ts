import type { ColumnContract, TableContract } from '@app/config';
import {
  assertAdvances,
  RECORDED_AT,
  STAGING_TABLE,
  type CheckpointAdvance,
  type Dialect,
  type Query,
} from '../dialect';
import { qualify, quoteIdent } from '../quote';
import { OP_COLUMN } from '../staged-row';
import { stateTableName, type StateTableKind } from '../state-tables';
import { copyIntoStagingFromStdin, pgLocksBlockers } from './postgres-catalog';
import { postgresType } from './postgres-types';
import { tableExistsQuery } from '../information-schema';

const target = (c: TableContract) => qualify(c.schema, c.table);
const checkpoint = (state: string, c: TableContract) => qualify(state, stateTableName(c, 'checkpoint'));
const tombstone = (state: string, c: TableContract) => qualify(state, stateTableName(c, 'tombstone'));
const columnList = (columns: ColumnContract[], alias = '') =>
  columns.map((c) => `${alias}${quoteIdent(c.name)}`).join(', ');
const keyMatch = (c: TableContract, left: string, right: string) =>
  c.primaryKey.map((k) => `${left}.${quoteIdent(k)} = ${right}.${quoteIdent(k)}`).join(' AND ');
const keysAndVersion = (c: TableContract) =>
  c.columns.filter((col) => c.primaryKey.includes(col.name) || col.name === c.version);
const CHECKPOINT_COLUMNS = 'topic, partition, last_offset, epoch, owner, claimed_at, committed_at';
/** The tombstones' unique key index: the tombstone table's name with `__tomb` made `__tkey`. */
const tombstoneKeyIndex = (c: TableContract) => stateTableName(c, 'tombstone').replace(/__tomb$/, '__tkey');

export class PostgresDialect implements Dialect {
  createSchema(schema: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
  }

  createTargetTable(c: TableContract): string {
    const columns = c.columns.map(
      (col) =>
        `${quoteIdent(col.name)} ${postgresType(col.type)}${c.primaryKey.includes(col.name) ? ' NOT NULL' : ''}`,
    );
    if (c.primaryKey.length > 0) columns.push(`PRIMARY KEY (${c.primaryKey.map(quoteIdent).join(', ')})`);
    return `CREATE TABLE IF NOT EXISTS ${target(c)} (${columns.join(', ')})`;
  }

  addColumn(c: TableContract, column: ColumnContract): string {
    return `ALTER TABLE ${target(c)} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${postgresType(column.type)}`;
  }

  listColumns(c: TableContract): Query {
    return {
      text: 'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      values: [c.schema, c.table],
    };
  }

  createCheckpointTable(state: string, c: TableContract): string {
    return (
      `CREATE TABLE IF NOT EXISTS ${checkpoint(state, c)} (` +
      'topic varchar(249) NOT NULL, partition integer NOT NULL, last_offset bigint NOT NULL, epoch bigint NOT NULL, ' +
      'owner varchar(256), claimed_at timestamptz, committed_at timestamptz, PRIMARY KEY (topic, partition))'
    );
  }

  /**
   * The tombstone table: key and version of every remembered delete, and when it was recorded
   * (for pruning after the retention). The merge deletes then inserts per key, so one row per
   * key holds; a unique index on the key keeps the version guard's lookups indexed. Tables of
   * older releases get the record time (now: each starts a full retention) and the index,
   * after dropping duplicate keys but the highest version, which alone the guard consults.
   */
  prepareTombstoneTable(state: string, c: TableContract): string[] {
    if (!c.version) return [];
    const table = tombstone(state, c);
    const columns = keysAndVersion(c).map((col) => `${quoteIdent(col.name)} ${postgresType(col.type)}`);
    const recordedAt = `${quoteIdent(RECORDED_AT)} timestamptz NOT NULL DEFAULT now()`;
    const index = quoteIdent(tombstoneKeyIndex(c));
    const version = quoteIdent(c.version);
    return [
      `CREATE TABLE IF NOT EXISTS ${table} (${[...columns, recordedAt].join(', ')})`,
      `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${recordedAt}`,
      // A one-time filter: it scans only while the index does not exist yet.
      `DELETE FROM ${table} a USING ${table} b WHERE ${keyMatch(c, 'a', 'b')} ` +
        `AND (a.${version} < b.${version} OR (a.${version} IS NOT DISTINCT FROM b.${version} AND a.ctid < b.ctid)) ` +
        `AND to_regclass('${quoteIdent(state)}.${index}') IS NULL`,
      `CREATE UNIQUE INDEX IF NOT EXISTS ${index} ON ${table} (${c.primaryKey.map(quoteIdent).join(', ')})`,
    ];
  }

  stateTableExists(state: string, name: string): Query {
    return tableExistsQuery(state, name);
  }

  copyLegacyState(state: string, c: TableContract, kind: StateTableKind, legacyName: string): string {
    const into = kind === 'checkpoint' ? checkpoint(state, c) : tombstone(state, c);
    const columns = kind === 'checkpoint' ? CHECKPOINT_COLUMNS : columnList(keysAndVersion(c));
    return `INSERT INTO ${into} (${columns}) SELECT ${columns} FROM ${qualify(state, legacyName)}`;
  }

  initCheckpoint(state: string, c: TableContract, topic: string, partition: number): Query {
    return {
      text: `INSERT INTO ${checkpoint(state, c)} (topic, partition, last_offset, epoch) VALUES ($1, $2, -1, 0) ON CONFLICT (topic, partition) DO NOTHING`,
      values: [topic, partition],
    };
  }

  claimCheckpoint(state: string, c: TableContract, topic: string, partition: number, owner: string): Query {
    return {
      text:
        `UPDATE ${checkpoint(state, c)} SET epoch = epoch + 1, owner = $3, claimed_at = now() ` +
        'WHERE topic = $1 AND partition = $2 RETURNING last_offset, epoch',
      values: [topic, partition, owner],
    };
  }

  advanceCheckpoint(state: string, c: TableContract, cas: CheckpointAdvance): Query {
    assertAdvances(c.name, cas);
    return {
      text:
        `UPDATE ${checkpoint(state, c)} SET last_offset = $3, committed_at = now() ` +
        'WHERE topic = $1 AND partition = $2 AND epoch = $4 AND last_offset = $5 AND last_offset < $3',
      values: [cas.topic, cas.partition, cas.nextOffset, cas.epoch, cas.previousOffset],
    };
  }

  readClaim(state: string, c: TableContract, topic: string, partition: number): Query {
    return {
      text: `SELECT last_offset, epoch FROM ${checkpoint(state, c)} WHERE topic = $1 AND partition = $2`,
      values: [topic, partition],
    };
  }

  readCheckpoints(state: string, c: TableContract): string {
    return `SELECT topic, partition, last_offset, epoch, owner, claimed_at, committed_at FROM ${checkpoint(state, c)} ORDER BY topic, partition`;
  }

  createStagingTable(c: TableContract): string {
    const columns = c.columns.map((col) => `${quoteIdent(col.name)} ${postgresType(col.type)}`);
    return `CREATE TEMP TABLE ${quoteIdent(STAGING_TABLE)} (${columns.join(', ')}, ${quoteIdent(OP_COLUMN)} char(1) NOT NULL) ON COMMIT DROP`;
  }

  copyIntoStaging(c: TableContract): string {
    return copyIntoStagingFromStdin(c);
  }

  mergeStatements(state: string, c: TableContract): string[] {
    const stage = quoteIdent(STAGING_TABLE);
    const op = quoteIdent(OP_COLUMN);
    const insert = `INSERT INTO ${target(c)} (${columnList(c.columns)}) SELECT ${columnList(c.columns)} FROM ${stage}`;
    if (c.mode === 'append') return [insert];
    const statements: string[] = [];
    if (c.version) {
      const version = quoteIdent(c.version);
      const keysAndVersion = columnList(
        c.columns.filter((col) => c.primaryKey.includes(col.name) || col.name === c.version),
      );
      // The version guard: a change never overwrites a row, or undoes a delete, of a higher version.
      statements.push(
        `DELETE FROM ${stage} s USING ${target(c)} t WHERE ${keyMatch(c, 't', 's')} AND t.${version} > s.${version}`,
      );
      statements.push(
        `DELETE FROM ${stage} s USING ${tombstone(state, c)} b WHERE ${keyMatch(c, 'b', 's')} AND b.${version} > s.${version}`,
      );
      statements.push(`DELETE FROM ${target(c)} t USING ${stage} s WHERE ${keyMatch(c, 't', 's')}`);
      statements.push(`${insert} WHERE ${op} = 'u'`);
      statements.push(`DELETE FROM ${tombstone(state, c)} b USING ${stage} s WHERE ${keyMatch(c, 'b', 's')}`);
      statements.push(
        `INSERT INTO ${tombstone(state, c)} (${keysAndVersion}) SELECT ${keysAndVersion} FROM ${stage} WHERE ${op} = 'd'`,
      );
      return statements;
    }
    statements.push(`DELETE FROM ${target(c)} t USING ${stage} s WHERE ${keyMatch(c, 't', 's')}`);
    statements.push(`${insert} WHERE ${op} = 'u'`);
    return statements;
  }

  /** Uses the warehouse's clock, which also dated the tombstones: no skew with the sink's. */
  pruneTombstones(state: string, c: TableContract, retentionMs: number): Query {
    return {
      text: `DELETE FROM ${tombstone(state, c)} WHERE ${quoteIdent(RECORDED_AT)} < now() - $1::float8 * interval '1 millisecond'`,
      values: [retentionMs],
    };
  }

  readTouchedTables(state: string, c: TableContract): string[] {
    const tables = [target(c), checkpoint(state, c), ...(c.version ? [tombstone(state, c)] : [])];
    return tables.map((t) => `SELECT count(*) FROM ${t}`);
  }

  /** Sessions whose locks on the contract's tables block our DML (or DDL): see pgLocksBlockers. */
  findBlockers(state: string, c: TableContract, forDdl: boolean): Query {
    return pgLocksBlockers(
      [target(c), checkpoint(state, c), ...(c.version ? [tombstone(state, c)] : [])],
      forDdl,
    );
  }

  cancelSession(pid: number): Query {
    return { text: 'SELECT pg_cancel_backend($1) AS cancelled', values: [pid] };
  }

  terminateSession(pid: number): Query {
    return { text: 'SELECT pg_terminate_backend($1) AS cancelled', values: [pid] };
  }

  lockTimeout(ms: number): string {
    if (!Number.isInteger(ms) || ms <= 0)
      throw new Error(`lock timeout must be a positive whole number of ms, not ${ms}`);
    return `SET LOCAL lock_timeout = '${ms}ms'`;
  }
}

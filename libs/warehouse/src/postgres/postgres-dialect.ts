import type { ColumnContract, TableContract } from '@app/config';
import { STAGING_TABLE, type CheckpointAdvance, type Dialect, type Query } from '../dialect';
import { qualify, quoteIdent } from '../quote';
import { OP_COLUMN } from '../staged-row';
import { stateTableName } from '../state-tables';
import { postgresType } from './postgres-types';

const target = (c: TableContract) => qualify(c.schema, c.table);
const checkpoint = (state: string, c: TableContract) => qualify(state, stateTableName(c, 'checkpoint'));
const tombstone = (state: string, c: TableContract) => qualify(state, stateTableName(c, 'tombstone'));
const columnList = (columns: ColumnContract[], alias = '') =>
  columns.map((c) => `${alias}${quoteIdent(c.name)}`).join(', ');
const keyMatch = (c: TableContract, left: string, right: string) =>
  c.primaryKey.map((k) => `${left}.${quoteIdent(k)} = ${right}.${quoteIdent(k)}`).join(' AND ');

// PostgreSQL's table lock conflict matrix: what blocks ROW EXCLUSIVE (our DELETE/INSERT) and
// what blocks ACCESS EXCLUSIVE (ALTER TABLE): every mode.
const MODES_BLOCKING_DML = ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];
const ALL_LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  ...MODES_BLOCKING_DML,
];

export class PostgresDialect implements Dialect {
  readonly name: string = 'postgres';

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

  createTombstoneTable(state: string, c: TableContract): string {
    const keys = c.columns.filter((col) => c.primaryKey.includes(col.name));
    const version = c.columns.find((col) => col.name === c.version);
    const columns = [...keys, ...(version && !keys.includes(version) ? [version] : [])];
    return `CREATE TABLE IF NOT EXISTS ${tombstone(state, c)} (${columns.map((col) => `${quoteIdent(col.name)} ${postgresType(col.type)}`).join(', ')})`;
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
    return {
      text:
        `UPDATE ${checkpoint(state, c)} SET last_offset = $3, committed_at = now() ` +
        'WHERE topic = $1 AND partition = $2 AND epoch = $4 AND last_offset = $5',
      values: [cas.topic, cas.partition, cas.nextOffset, cas.epoch, cas.previousOffset],
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
    return `COPY ${quoteIdent(STAGING_TABLE)} (${columnList(c.columns)}, ${quoteIdent(OP_COLUMN)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')`;
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

  readTouchedTables(state: string, c: TableContract): string[] {
    const tables = [target(c), checkpoint(state, c), ...(c.version ? [tombstone(state, c)] : [])];
    return tables.map((t) => `SELECT count(*) FROM ${t}`);
  }

  /**
   * Sessions holding a granted lock on the contract's tables in a mode that conflicts with our
   * DML (ROW EXCLUSIVE) or DDL (ACCESS EXCLUSIVE), oldest transaction first. Relation names are
   * parameters resolved with to_regclass, so a table that does not exist yet is simply skipped.
   */
  findBlockers(state: string, c: TableContract, forDdl: boolean): Query {
    const relations = [target(c), checkpoint(state, c), ...(c.version ? [tombstone(state, c)] : [])];
    const modes = forDdl ? ALL_LOCK_MODES : MODES_BLOCKING_DML;
    return {
      text:
        'SELECT a.pid, a.usename AS "user", a.application_name AS application, a.client_addr::text AS client, a.state, ' +
        'extract(epoch FROM now() - a.xact_start)::float8 AS transaction_age_seconds, left(a.query, 1000) AS query, ' +
        'l.relation::regclass::text AS relation, l.mode ' +
        'FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid ' +
        "WHERE l.granted AND l.locktype = 'relation' AND l.pid <> pg_backend_pid() " +
        'AND l.relation = ANY (ARRAY(SELECT to_regclass(r) FROM unnest($1::text[]) AS r)) AND l.mode = ANY ($2::text[]) ' +
        'ORDER BY a.xact_start NULLS LAST, a.pid',
      values: [relations, modes],
    };
  }

  cancelSession(pid: number): Query {
    return { text: 'SELECT pg_cancel_backend($1) AS cancelled', values: [pid] };
  }

  lockTimeout(ms: number): string {
    if (!Number.isInteger(ms) || ms <= 0)
      throw new Error(`lock timeout must be a positive whole number of ms, not ${ms}`);
    return `SET LOCAL lock_timeout = '${ms}ms'`;
  }
}

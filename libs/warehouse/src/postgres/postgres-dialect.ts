import type { ColumnContract, TableContract } from '@app/config';
import type { CheckpointAdvance, Dialect, Query } from '../dialect';
import { assertAdvances, RECORDED_AT, SNAPSHOT_RUN_COLUMN, SqlDialect } from '../dialect';
import { quoteIdent } from '../quote';
import { ORDINARY_SHAPE, type StagingShape } from '../staging-shape';
import { stateTableName } from '../state-tables';
import { copyIntoStagingFromStdin, pgLocksBlockers } from './postgres-catalog';
import { postgresType } from './postgres-types';

const keyMatch = (c: TableContract, left: string, right: string) =>
  c.primaryKey.map((k) => `${left}.${quoteIdent(k)} = ${right}.${quoteIdent(k)}`).join(' AND ');
/** The tombstones' unique key index: the tombstone table's name with `__tomb` made `__tkey`. */
const tombstoneKeyIndex = (c: TableContract) => stateTableName(c, 'tombstone').replace(/__tomb$/, '__tkey');
/** The snapshot keys' unique index on run and key: the table's name with `__snap` made `__skey`. */
const snapshotKeyIndex = (c: TableContract) => stateTableName(c, 'snapshot').replace(/__snap$/, '__skey');

/** PostgreSQL SQL, as pure functions of the table contracts; what Redshift spells alike is SqlDialect's. */
export class PostgresDialect extends SqlDialect implements Dialect {
  constructor() {
    // Checkpoint columns go unquoted: none is a reserved word in PostgreSQL.
    super((name) => name);
  }

  protected columnType(column: ColumnContract): string {
    return postgresType(column.type);
  }

  protected lockWaitBound(ms: number): string {
    return `SET LOCAL lock_timeout = '${ms}ms'`;
  }

  /**
   * The merge joins a batch with the target by primary key. With the default random_page_cost
   * (4, a spinning disk's) PostgreSQL hash-joins, scanning the whole target, up to tables of
   * about 800k rows, where a batch of 10k keys costs 9x what it costs on an empty table (bench
   * (f): 584 ms at 500k rows, 65 ms empty); priced as SSD or cache reads (1.1, what Aurora and
   * RDS storage are), it looks each key up in the primary key from a few thousand rows on.
   */
  override plannerSettings(): string[] {
    return ['SET LOCAL random_page_cost = 1.1'];
  }

  /** A unique index on run and key: marking a key seen again is an index lookup that does nothing. */
  protected snapshotKeyIndex(state: string, c: TableContract): string[] {
    const columns = [SNAPSHOT_RUN_COLUMN, ...c.primaryKey].map(quoteIdent).join(', ');
    return [
      `CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(snapshotKeyIndex(c))} ON ${this.snapshotKeys(state, c)} (${columns})`,
    ];
  }

  protected markSeen(state: string, c: TableContract, run: string): Query {
    const keys = c.primaryKey.map(quoteIdent);
    return {
      text:
        `INSERT INTO ${this.snapshotKeys(state, c)} (${[quoteIdent(SNAPSHOT_RUN_COLUMN), ...keys].join(', ')}) ` +
        `SELECT ${this.runParameter()}, ${keys.map((k) => `s.${k}`).join(', ')} FROM ${this.stage} s ` +
        `WHERE s.${this.op} <> 't' ON CONFLICT DO NOTHING`,
      values: [run],
    };
  }

  /**
   * One statement: the unseen rows are deleted and, on a versioned table, their keys and
   * versions become tombstones (replacing any the keys had), dated by the warehouse's clock.
   */
  protected deleteUnseen(state: string, c: TableContract, run: string): Query[] {
    const del = `DELETE FROM ${this.target(c)} t WHERE ${this.unseen(state, c, 't', 'k', true)}`;
    if (!c.version) return [{ text: del, values: [run] }];
    const tombstoned = this.names(this.keysAndVersion(c));
    const version = quoteIdent(c.version);
    return [
      {
        text:
          `WITH gone AS (${del} RETURNING ${this.names(this.keysAndVersion(c), 't.')}) ` +
          `INSERT INTO ${this.tombstone(state, c)} (${tombstoned}) SELECT ${tombstoned} FROM gone ` +
          `ON CONFLICT (${c.primaryKey.map(quoteIdent).join(', ')}) DO UPDATE SET ${version} = EXCLUDED.${version}, ` +
          `${quoteIdent(RECORDED_AT)} = now()`,
        values: [run],
      },
    ];
  }

  addColumn(c: TableContract, column: ColumnContract): string {
    return `ALTER TABLE ${this.target(c)} ADD COLUMN IF NOT EXISTS ${quoteIdent(column.name)} ${this.columnType(column)}`;
  }

  createCheckpointTable(state: string, c: TableContract): string {
    return (
      `CREATE TABLE IF NOT EXISTS ${this.checkpoint(state, c)} (` +
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
    const table = this.tombstone(state, c);
    const columns = this.keysAndVersion(c).map((col) => `${quoteIdent(col.name)} ${this.columnType(col)}`);
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

  initCheckpoint(state: string, c: TableContract, topic: string, partition: number): Query {
    return {
      text: `INSERT INTO ${this.checkpoint(state, c)} (topic, partition, last_offset, epoch) VALUES ($1, $2, -1, 0) ON CONFLICT (topic, partition) DO NOTHING`,
      values: [topic, partition],
    };
  }

  claimCheckpoint(state: string, c: TableContract, topic: string, partition: number, owner: string): Query {
    return {
      text:
        `UPDATE ${this.checkpoint(state, c)} SET epoch = epoch + 1, owner = $3, claimed_at = now() ` +
        'WHERE topic = $1 AND partition = $2 RETURNING last_offset, epoch',
      values: [topic, partition, owner],
    };
  }

  advanceCheckpoint(state: string, c: TableContract, cas: CheckpointAdvance): Query {
    assertAdvances(c.name, cas);
    return {
      text:
        `UPDATE ${this.checkpoint(state, c)} SET last_offset = $3, committed_at = now() ` +
        'WHERE topic = $1 AND partition = $2 AND epoch = $4 AND last_offset = $5 AND last_offset < $3',
      values: [cas.topic, cas.partition, cas.nextOffset, cas.epoch, cas.previousOffset],
    };
  }

  createStagingTable(c: TableContract, shape: StagingShape = ORDINARY_SHAPE): string {
    const columns = [
      ...c.columns.map((col) => `${quoteIdent(col.name)} ${this.columnType(col)}`),
      `${this.op} char(1) NOT NULL`,
      ...this.shapeColumns(c, shape, postgresType),
    ];
    return `CREATE TEMP TABLE ${this.stage} (${columns.join(', ')}) ON COMMIT DROP`;
  }

  copyIntoStaging(c: TableContract, shape: StagingShape = ORDINARY_SHAPE): string {
    return copyIntoStagingFromStdin(c, shape);
  }

  mergeStatements(state: string, c: TableContract, shape: StagingShape = ORDINARY_SHAPE): string[] {
    this.assertShapeFits(c, shape);
    const { stage, op } = this;
    const insert = `INSERT INTO ${this.target(c)} (${this.names(c.columns)}) SELECT ${this.names(c.columns)} FROM ${stage}`;
    if (c.mode === 'append') return [insert];
    const tomb = this.tombstone(state, c);
    const statements = this.shapeStatements(c, shape, {
      remember: () => [
        `DELETE FROM ${tomb} b USING ${this.target(c)} t WHERE ${keyMatch(c, 'b', 't')}`,
        `INSERT INTO ${tomb} (${this.names(this.keysAndVersion(c))}) ` +
          `SELECT ${this.truncatedKeysAndVersion(c, 't', 's')} FROM ${this.target(c)} t, ${stage} s WHERE s.${op} = 't'`,
      ],
      fill: () => this.fillKept(c, { s: 's', t: 't', update: `${stage} s`, from: `${this.target(c)} t` }),
    });
    if (c.version) {
      const version = quoteIdent(c.version);
      const tombstoned = this.names(this.keysAndVersion(c));
      // The version guard: a change never overwrites a row, or undoes a delete, of a higher version.
      statements.push(
        `DELETE FROM ${stage} s USING ${this.target(c)} t WHERE ${keyMatch(c, 't', 's')} AND t.${version} > s.${version}`,
      );
      statements.push(
        `DELETE FROM ${stage} s USING ${this.tombstone(state, c)} b WHERE ${keyMatch(c, 'b', 's')} AND b.${version} > s.${version}`,
      );
      statements.push(`DELETE FROM ${this.target(c)} t USING ${stage} s WHERE ${keyMatch(c, 't', 's')}`);
      statements.push(`${insert} WHERE ${op} = 'u'`);
      statements.push(
        `DELETE FROM ${this.tombstone(state, c)} b USING ${stage} s WHERE ${keyMatch(c, 'b', 's')}`,
      );
      statements.push(
        `INSERT INTO ${this.tombstone(state, c)} (${tombstoned}) SELECT ${tombstoned} FROM ${stage} WHERE ${op} = 'd'`,
      );
      return statements;
    }
    statements.push(`DELETE FROM ${this.target(c)} t USING ${stage} s WHERE ${keyMatch(c, 't', 's')}`);
    statements.push(`${insert} WHERE ${op} = 'u'`);
    return statements;
  }

  /** Uses the warehouse's clock, which also dated the tombstones: no skew with the sink's. */
  pruneTombstones(state: string, c: TableContract, retentionMs: number): Query {
    return {
      text: `DELETE FROM ${this.tombstone(state, c)} WHERE ${quoteIdent(RECORDED_AT)} < now() - $1::float8 * interval '1 millisecond'`,
      values: [retentionMs],
    };
  }

  /** Sessions whose locks on the contract's tables block our DML (or DDL): see pgLocksBlockers. */
  findBlockers(state: string, c: TableContract, forDdl: boolean): Query {
    return pgLocksBlockers(this.touched(state, c), forDdl);
  }
}

import type { TableContract } from '@app/config';
import { STAGING_TABLE, type Query } from '../dialect';
import { quoteIdent } from '../quote';
import { ORDINARY_SHAPE, stagedColumns, type StagingShape } from '../staging-shape';

/**
 * Statements that read PostgreSQL's own catalog and protocol, as pure functions. They belong
 * to no dialect: the PostgreSQL dialect uses them, and so do the pieces that run on a
 * PostgreSQL server on another dialect's behalf (the Redshift dialect's PostgreSQL-compatible
 * mode, the COPY FROM STDIN stand-in for COPY FROM S3).
 */

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

/**
 * Sessions holding a granted lock on `relations` (qualified, quoted names) in a mode that
 * conflicts with our DML (ROW EXCLUSIVE) or DDL (ACCESS EXCLUSIVE), oldest transaction first,
 * from pg_locks. Relation names are parameters resolved with to_regclass, so a table that does
 * not exist yet is simply skipped.
 */
export function pgLocksBlockers(relations: string[], forDdl: boolean): Query {
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

/** COPY of the staged CSV (csv-codec.ts: every value quoted, \N as NULL) into the staging table, from the connection. */
export function copyIntoStagingFromStdin(c: TableContract, shape: StagingShape = ORDINARY_SHAPE): string {
  const columns = stagedColumns(c, shape).map(quoteIdent).join(', ');
  return `COPY ${quoteIdent(STAGING_TABLE)} (${columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')`;
}

import type { ColumnType, TableContract } from '@app/config';
import { postgresType } from '../postgres/postgres-types';
import { qualify, quoteIdent } from '../quote';
import { postgresLiteral } from './postgres-literal';

/** What a snapshot reads: a table (`schema.table`, identifiers as contracts allow them) or a query. */
export type SnapshotFrom = { schema: string; table: string } | { query: string };

/**
 * The source session prints values the way sourceValue reads them and reads literals the way
 * postgresLiteral writes them: UTC timestamps with ISO dates, doubles with every digit needed to
 * read them back exactly, backslashes as plain characters in string literals.
 */
export const SOURCE_SESSION_SETTINGS = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  'SET extra_float_digits = 3',
  'SET standard_conforming_strings = on',
  "SET client_encoding = 'UTF8'",
] as const;

/**
 * The table, or the query as a subquery. The query is given lines of its own, so a trailing
 * `--` comment in it cannot swallow what follows.
 */
export function snapshotRelation(from: SnapshotFrom): string {
  return 'query' in from ? `(\n${from.query}\n) AS "snapshot_source"` : qualify(from.schema, from.table);
}

/**
 * The rows of one chunk, in primary-key order: the contract's columns, after the key the
 * previous chunk ended on (a row comparison, which walks the primary key's index of a table).
 * The key is written as literals cast to the column types, never spliced in as SQL.
 */
export function snapshotChunkSelect(
  contract: TableContract,
  from: SnapshotFrom,
  after: readonly string[] | undefined,
  limit: number,
): string {
  const columns = contract.columns.map((c) => quoteIdent(c.name)).join(', ');
  const key = contract.primaryKey.map(quoteIdent);
  const types = contract.primaryKey.map((name) => contract.columns.find((c) => c.name === name)!.type);
  const where =
    after === undefined
      ? ''
      : ` WHERE (${key.join(', ')}) > (${after.map((v, i) => `${postgresLiteral(v)}::${comparedType(types[i]!)}`).join(', ')})`;
  return `SELECT ${columns} FROM ${snapshotRelation(from)}${where} ORDER BY ${key.join(', ')} LIMIT ${limit}`;
}

/** A literal's cast: the unbounded type, so a cast never shortens or rounds the key it carries. */
function comparedType(type: ColumnType): string {
  if (type.kind === 'varchar') return 'text';
  if (type.kind === 'numeric') return 'numeric';
  return postgresType(type);
}

/** COPY of a SELECT to the client in text format (COPY's default: tabs, `\N`, backslash escapes). */
export function copyToStdout(select: string): string {
  return `COPY (${select}) TO STDOUT`;
}

/** The planner's row count of a table (-1 or 0 when it was never analysed), by its quoted name as $1. */
export const ESTIMATED_ROWS = 'SELECT reltuples::bigint AS rows FROM pg_class WHERE oid = to_regclass($1)';

export function countRows(from: SnapshotFrom): string {
  return `SELECT count(*) AS rows FROM ${snapshotRelation(from)}`;
}

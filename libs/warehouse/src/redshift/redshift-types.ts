import type { ColumnType } from '@app/config';

/**
 * `redshift`: the full Redshift DDL (SUPER for json, DISTKEY and SORTKEY table attributes).
 * `postgres`: only the subset PostgreSQL also accepts (json kept as VARCHAR text, no table
 * attributes), so the PostgreSQL-compatible test mode runs the same statements.
 */
export type RedshiftCompatibility = 'redshift' | 'postgres';

/** Redshift's longest VARCHAR, in bytes (VARCHAR(MAX)). */
export const REDSHIFT_MAX_VARCHAR = 65535;

/**
 * The Redshift type of a contract column. Redshift measures VARCHAR in bytes, and so does the
 * contract: coerceValue refuses a varchar(n) value longer than n UTF-8 bytes, so varchar(n)
 * maps to VARCHAR(n) unchanged. `text` has no length, so it takes the maximum.
 */
export function redshiftType(type: ColumnType, compatibility: RedshiftCompatibility): string {
  switch (type.kind) {
    case 'text':
      return `VARCHAR(${REDSHIFT_MAX_VARCHAR})`;
    case 'varchar':
      return `VARCHAR(${type.length})`;
    case 'integer':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'numeric':
      return `DECIMAL(${type.precision},${type.scale})`;
    case 'double':
      return 'DOUBLE PRECISION';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'json':
      return compatibility === 'redshift' ? 'SUPER' : `VARCHAR(${REDSHIFT_MAX_VARCHAR})`;
  }
}

/**
 * The type of a column in the staging table. JSON arrives as text and is parsed into SUPER by
 * JSON_PARSE when it is inserted into the target: what COPY does with a CSV field aimed at a
 * SUPER column is then never in question.
 */
export function redshiftStagingType(type: ColumnType, compatibility: RedshiftCompatibility): string {
  return type.kind === 'json' ? `VARCHAR(${REDSHIFT_MAX_VARCHAR})` : redshiftType(type, compatibility);
}

import type { StagedRow } from './staged-row';

/**
 * CSV as both PostgreSQL (`FORMAT csv, NULL '\N'`) and Redshift (`CSV NULL AS '\N'`) read it:
 * every value is quoted, quotes are doubled, and the unquoted marker \N is SQL NULL. Quoting
 * every value keeps NULL and the empty string apart and lets delimiters, quotes, newlines and
 * backslashes through untouched.
 */
export const CSV_NULL = '\\N';

function field(value: string | null): string {
  return value === null ? CSV_NULL : `"${value.replace(/"/g, '""')}"`;
}

export function encodeCsvRow(row: StagedRow): string {
  return `${row.values.map(field).join(',')},${row.op}\n`;
}

export function encodeCsv(rows: StagedRow[]): Buffer {
  return Buffer.from(rows.map(encodeCsvRow).join(''), 'utf8');
}

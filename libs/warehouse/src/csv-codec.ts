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

/**
 * `keyWidth` is set for a partial batch (stagingShape): every row then adds its keep flags and
 * the key they come from (stagedColumns), NULL for rows that keep nothing.
 */
function encodeCsvRow(row: StagedRow, keyWidth: number | undefined): string {
  const line = `${row.values.map(field).join(',')},${row.op}`;
  if (keyWidth === undefined) return `${line}\n`;
  const flags = row.keep ? field(row.keep.columns.map((kept) => (kept ? '1' : '0')).join('')) : CSV_NULL;
  const from = row.keep ? row.keep.from.map(field) : Array<string>(keyWidth).fill(CSV_NULL);
  return `${[line, flags, ...from].join(',')}\n`;
}

export function encodeCsv(rows: StagedRow[]): Buffer {
  const keyWidth = rows.find((row) => row.keep)?.keep!.from.length;
  return Buffer.from(rows.map((row) => encodeCsvRow(row, keyWidth)).join(''), 'utf8');
}

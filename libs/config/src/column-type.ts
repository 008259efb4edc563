/**
 * The column types a table contract may declare. Each maps to one SQL type per dialect and
 * one coercion rule for incoming values; anything else is rejected at startup.
 */
export type ColumnType =
  | { kind: 'text' }
  | { kind: 'varchar'; length: number }
  | { kind: 'integer' }
  | { kind: 'bigint' }
  | { kind: 'numeric'; precision: number; scale: number }
  | { kind: 'double' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'timestamp' }
  | { kind: 'timestamptz' }
  | { kind: 'json' };

export const SUPPORTED_TYPES =
  'text, varchar(n), integer, bigint, numeric(p,s), double, boolean, date, timestamp, timestamptz, json';

const ALIASES: Record<string, ColumnType> = {
  text: { kind: 'text' },
  string: { kind: 'text' },
  int: { kind: 'integer' },
  integer: { kind: 'integer' },
  int4: { kind: 'integer' },
  bigint: { kind: 'bigint' },
  int8: { kind: 'bigint' },
  double: { kind: 'double' },
  float8: { kind: 'double' },
  'double precision': { kind: 'double' },
  boolean: { kind: 'boolean' },
  bool: { kind: 'boolean' },
  date: { kind: 'date' },
  timestamp: { kind: 'timestamp' },
  timestamptz: { kind: 'timestamptz' },
  json: { kind: 'json' },
  jsonb: { kind: 'json' },
};

/** Parses a declared type such as `numeric(18,2)`; returns undefined when it is not supported. */
export function parseColumnType(declared: string): ColumnType | undefined {
  const text = declared.trim().toLowerCase();
  const alias = ALIASES[text];
  if (alias) return alias;
  const varchar = /^varchar\((\d+)\)$/.exec(text);
  if (varchar) {
    const length = Number(varchar[1]);
    return length >= 1 && length <= 65535 ? { kind: 'varchar', length } : undefined;
  }
  const numeric = /^(?:numeric|decimal)\((\d+)(?:,\s*(\d+))?\)$/.exec(text);
  if (numeric) {
    const precision = Number(numeric[1]);
    const scale = Number(numeric[2] ?? 0);
    // 38 is Redshift's maximum DECIMAL precision: a contract must load everywhere.
    return precision >= 1 && precision <= 38 && scale <= precision
      ? { kind: 'numeric', precision, scale }
      : undefined;
  }
  return undefined;
}

export function formatColumnType(type: ColumnType): string {
  switch (type.kind) {
    case 'varchar':
      return `varchar(${type.length})`;
    case 'numeric':
      return `numeric(${type.precision},${type.scale})`;
    default:
      return type.kind;
  }
}

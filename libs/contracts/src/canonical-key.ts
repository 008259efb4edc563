import type { ColumnType } from '@app/config';
import { readDateTime } from './exact-datetime';
import { canonicalDecimalText, parseExactDecimal } from './exact-decimal';
import { DEFAULT_VALUE_RULES } from './warehouse-value-rules';

/**
 * One text per value as the warehouse compares it, for a validated value of a key column: every
 * spelling SQL finds equal (numeric `1`, `1.0`, `+1`, `1e0`; timestamp `T` or space, `12:00` or
 * `12:00:00.000`; timestamptz `Z`, `+00:00` or `+02:00` for the same instant) gives one text,
 * so one SQL key is one reduction key and a batch never stages a key twice. Only for comparing:
 * the value loaded stays as the producer wrote it.
 */
export function canonicalKeyValue(type: ColumnType, value: string | null): string | null {
  if (value === null) return null;
  switch (type.kind) {
    case 'integer':
    case 'bigint':
    case 'numeric': {
      const exact = parseExactDecimal(value);
      return exact ? canonicalDecimalText(exact) : value;
    }
    case 'double': {
      // float8 equality: -0 = 0 and NaN = NaN in PostgreSQL and Redshift alike.
      const n = Number(value);
      return Number.isNaN(n) ? 'NaN' : String(n === 0 ? 0 : n);
    }
    case 'date':
    case 'timestamp':
    case 'timestamptz': {
      const read = readDateTime(type.kind, value, DEFAULT_VALUE_RULES);
      return read.ok ? read.micros.toString() : value;
    }
    default:
      return value;
  }
}

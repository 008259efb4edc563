import type { ColumnType } from '@app/config';
import { readDateTime } from './exact-datetime';
import { compareExactDecimals, parseExactDecimal, type ExactDecimal } from './exact-decimal';
import { DEFAULT_VALUE_RULES } from './warehouse-value-rules';

/**
 * Orders two validated version values of one column type (negative: a < b) exactly as the
 * warehouse's cross-batch guard (`t.version > s.version` in SQL) orders them, so a batch never
 * picks a winner the next batch's SQL would have refused: integers and numerics as exact
 * decimals whatever their spelling or size, timestamps to the microsecond, timestamptz as
 * instants whatever the offset form.
 */
export function compareVersions(type: ColumnType, a: string, b: string): number {
  switch (type.kind) {
    case 'timestamp':
    case 'timestamptz':
    case 'date': {
      const x = micros(type.kind, a);
      const y = micros(type.kind, b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    default:
      return compareExactDecimals(decimal(a), decimal(b));
  }
}

function micros(kind: 'date' | 'timestamp' | 'timestamptz', text: string): bigint {
  // The widest rules: a version validated for any warehouse parses here.
  const read = readDateTime(kind, text, DEFAULT_VALUE_RULES);
  if (!read.ok) throw new Error(`not a validated ${kind} version: ${read.reason}`);
  return read.micros;
}

function decimal(text: string): ExactDecimal {
  const exact = parseExactDecimal(text);
  if (!exact) throw new Error(`not a validated numeric version: ${JSON.stringify(text)}`);
  return exact;
}

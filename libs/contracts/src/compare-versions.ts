import type { ColumnType } from '@app/config';

/**
 * Orders two canonical version values of one column type (negative: a < b). Integers compare
 * as BigInt so versions beyond 2^53 stay exact; timestamps compare as instants.
 */
export function compareVersions(type: ColumnType, a: string, b: string): number {
  switch (type.kind) {
    case 'integer':
    case 'bigint': {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'timestamp':
    case 'timestamptz':
      return instantMicros(a, type.kind === 'timestamp') - instantMicros(b, type.kind === 'timestamp');
    default:
      return Number(a) - Number(b);
  }
}

function instantMicros(text: string, local: boolean): number {
  const normalized = text.replace(' ', 'T');
  const millis = Date.parse(local ? `${normalized.slice(0, 19)}Z` : normalized.replace(/(\.\d{3})\d+/, '$1'));
  const micros = /\.\d{3}(\d{1,3})/.exec(normalized)?.[1]?.padEnd(3, '0') ?? '000';
  return millis * 1000 + Number(micros);
}

import { parseColumnType } from '@app/config';
import { describe, expect, it } from 'vitest';
import { canonicalKeyValue } from './canonical-key';

const key = (declared: string, value: string | null) => canonicalKeyValue(parseColumnType(declared)!, value);

describe('canonicalKeyValue: one text per SQL-equal key value', () => {
  it.each([
    ['numeric(12,2)', ['1', '1.0', '1.00', '+1', '1e0', '0.1e1', '01', ' 1 ']],
    ['numeric(12,2)', ['0', '-0', '0.00', '0e5']],
    ['bigint', ['7', '+7', '007']],
    ['double', ['1', '1.0', '1e0']],
    ['double', ['0', '-0', '0.0']],
    [
      'timestamp',
      ['2026-01-01T12:00', '2026-01-01 12:00:00', '2026-01-01T12:00:00.000000', '2026-01-01 12:00:00.0'],
    ],
    [
      'timestamptz',
      [
        '2026-01-01T12:00:00Z',
        '2026-01-01 12:00:00+00:00',
        '2026-01-01T12:00z',
        '2026-01-01T14:00:00+02',
        '2026-01-01T17:30:00+0530',
        '2026-01-01T07:00:00-05:00',
      ],
    ],
    ['date', ['2026-01-31']],
  ])('%s: %j are one key', (declared, spellings) => {
    expect(new Set(spellings.map((s) => key(declared, s))).size).toBe(1);
  });

  it.each([
    ['numeric(12,2)', ['1', '1.01', '10', '-1']],
    ['timestamp', ['2026-01-01T12:00:00.9', '2026-01-01T12:00:00.1', '2026-01-01T12:00:01']],
    ['timestamptz', ['2026-01-01T12:00:00Z', '2026-01-01T12:00:00+01', '2026-01-01T12:00:00.000001Z']],
    ['text', ['a', 'a ', 'A']],
  ])('%s: %j are distinct keys', (declared, spellings) => {
    expect(new Set(spellings.map((s) => key(declared, s))).size).toBe(spellings.length);
  });

  it('keeps NULL as NULL', () => {
    expect(key('numeric(12,2)', null)).toBeNull();
  });
});

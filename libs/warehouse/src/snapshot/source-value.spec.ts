import { describe, expect, it } from 'vitest';
import { sourceValue } from './source-value';

describe('sourceValue', () => {
  it('keeps exact types as text and makes small integers and booleans JSON ones', () => {
    expect(sourceValue({ kind: 'bigint' }, '9223372036854775807', 'c')).toBe('9223372036854775807');
    expect(sourceValue({ kind: 'numeric', precision: 10, scale: 2 }, '12.50', 'c')).toBe('12.50');
    expect(sourceValue({ kind: 'double' }, '0.30000000000000004', 'c')).toBe('0.30000000000000004');
    expect(sourceValue({ kind: 'double' }, 'NaN', 'c')).toBe('NaN');
    expect(sourceValue({ kind: 'integer' }, '-2147483648', 'c')).toBe(-2147483648);
    expect(sourceValue({ kind: 'boolean' }, 't', 'c')).toBe(true);
    expect(sourceValue({ kind: 'boolean' }, 'f', 'c')).toBe(false);
  });

  it('writes timestamps as ISO, UTC as Z', () => {
    expect(sourceValue({ kind: 'timestamp' }, '2026-01-31 12:00:00.123456', 'c')).toBe(
      '2026-01-31T12:00:00.123456',
    );
    expect(sourceValue({ kind: 'timestamptz' }, '2026-01-31 12:00:00+00', 'c')).toBe('2026-01-31T12:00:00Z');
    expect(sourceValue({ kind: 'timestamptz' }, '2026-01-31 12:00:00.5+00', 'c')).toBe(
      '2026-01-31T12:00:00.5Z',
    );
    expect(sourceValue({ kind: 'date' }, '2026-01-31', 'c')).toBe('2026-01-31');
  });

  it('passes on what the contract type cannot read, for validation to refuse with its reason', () => {
    expect(sourceValue({ kind: 'integer' }, '99999999999999999999', 'c')).toBe('99999999999999999999');
    expect(sourceValue({ kind: 'boolean' }, 'yes', 'c')).toBe('yes');
    expect(sourceValue({ kind: 'timestamptz' }, 'infinity', 'c')).toBe('infinity');
    expect(sourceValue({ kind: 'date' }, '0044-03-15 BC', 'c')).toBe('0044-03-15 BC');
  });

  it('parses json, and names the column when it is not JSON', () => {
    expect(sourceValue({ kind: 'json' }, '{"a": [1, "x"]}', 'c')).toEqual({ a: [1, 'x'] });
    expect(() => sourceValue({ kind: 'json' }, '{oops', 'attrs')).toThrow(/attrs is declared json/);
  });
});

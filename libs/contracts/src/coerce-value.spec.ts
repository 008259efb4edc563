import { parseColumnType } from '@app/config';
import { describe, expect, it } from 'vitest';
import { coerceValue } from './coerce-value';
import { DEFAULT_VALUE_RULES, type WarehouseValueRules } from './warehouse-value-rules';

const type = (declared: string) => parseColumnType(declared)!;
const bytesRules: WarehouseValueRules = {
  warehouse: 'Redshift',
  varcharLength: 'bytes',
  maxTextBytes: 65535,
  maxJsonBytes: 65535,
  maxZoneOffsetMinutes: 14 * 60 + 59,
  subnormalDoubles: false,
};
const accepted = (declared: string, value: unknown, rules = DEFAULT_VALUE_RULES) =>
  coerceValue(type(declared), value, rules).ok;
const reason = (declared: string, value: unknown, rules = DEFAULT_VALUE_RULES) => {
  const coerced = coerceValue(type(declared), value, rules);
  return coerced.ok ? undefined : coerced.reason;
};

describe('coerceValue refuses what the warehouse refuses (a refused batch stops its lane)', () => {
  it.each(['2026-02-29', '2026-02-31', '2026-04-31', '0000-01-01', '2026-13-01', '2026-00-10', '2026-1-01'])(
    'refuses the date %s',
    (value) => expect(accepted('date', value)).toBe(false),
  );

  it.each(['2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31'])('accepts the date %s', (value) =>
    expect(accepted('date', value)).toBe(true),
  );

  it('refuses 1900-02-29 (not a leap year: divisible by 100, not by 400)', () => {
    expect(reason('date', '1900-02-29')).toMatch(/1900-02 has 28 days/);
  });

  it.each([
    ['timestamptz', '2026-01-01T99:99:99Z', /hour 99/],
    ['timestamptz', '2026-01-01T12:60:00Z', /minute 60/],
    ['timestamptz', '2026-01-01T12:00:60Z', /second 60/],
    ['timestamptz', '2026-01-01T24:00:00Z', /hour 24/],
    ['timestamptz', '2026-01-01T12:00:00+99:99', /minutes 99/],
    ['timestamptz', '2026-01-01T12:00:00+16:00', /beyond ±15:59, the largest PostgreSQL takes/],
    ['timestamptz', '2026-02-30T12:00:00Z', /day 30/],
    ['timestamp', '2026-01-01T25:00:00', /hour 25/],
    ['timestamp', '2026-01-01T12:00:00Z', /no zone/],
  ])('refuses the %s %s', (declared, value, why) => {
    expect(reason(declared, value)).toMatch(why);
  });

  it.each(['+15:59', '-1559', '+05', '+05:30', '+0530', 'Z', 'z', '-00:00'])(
    'accepts the timestamptz offset %s',
    (offset) => expect(accepted('timestamptz', `2026-01-01T12:00:00.5${offset}`)).toBe(true),
  );

  it('takes offsets only up to ±14:59 where the rules say so', () => {
    expect(reason('timestamptz', '2026-01-01T12:00:00+15:00', bytesRules)).toMatch(
      /±14:59, the largest Redshift/,
    );
    expect(accepted('timestamptz', '2026-01-01T12:00:00+14:59', bytesRules)).toBe(true);
  });

  it.each([
    ['1e300', /301 digits before the point; numeric\(12,2\) takes at most 10/],
    ['12345678901', /11 digits before the point/],
    ['1.234', /3 digits after the point/],
    ['1e-3', /3 digits after the point/],
    ['0.5e-2', /3 digits after the point/],
    ['abc', /expected a decimal number/],
    ['1e', /expected a decimal number/],
  ])('refuses %s into numeric(12,2)', (value, why) => {
    expect(reason('numeric(12,2)', value)).toMatch(why);
  });

  it.each(['1e9', '9999999999.99', '1.2300000', '1234.5e-1', '+.5', '-0', '0e999999', '12.50', 12.5])(
    'accepts %s into numeric(12,2): exact within precision and scale',
    (value) => expect(accepted('numeric(12,2)', value)).toBe(true),
  );

  it("keeps the numeric as written: the loaded value is the producer's", () => {
    expect(coerceValue(type('numeric(12,2)'), ' 1.50e1 ')).toEqual({ ok: true, value: '1.50e1' });
  });

  it.each([
    ['1e400', /out of range for double/],
    ['-1e400', /out of range for double/],
    ['1e-400', /underflow/],
  ])('refuses the double %s', (value, why) => {
    expect(reason('double', value)).toMatch(why);
  });

  it('accepts subnormal doubles where the rules say so, and refuses them elsewhere', () => {
    expect(accepted('double', '2.33125e-315')).toBe(true);
    expect(reason('double', '2.33125e-315', bytesRules)).toMatch(/too close to zero for double on Redshift/);
    expect(accepted('double', '0e-400', bytesRules)).toBe(true);
    expect(accepted('double', 'NaN')).toBe(true);
  });

  it.each([
    ['a NUL', { a: 'x\u0000y' }, /NUL/],
    ['a NUL in a key', { ['k\u0000']: 1 }, /NUL/],
    ['a lone high surrogate', ['\ud800'], /lone UTF-16 surrogate/],
    ['a lone low surrogate', 'x\udc00', /lone UTF-16 surrogate/],
  ])('refuses json with %s', (_what, value, why) => {
    expect(reason('json', value)).toMatch(why);
  });

  it('accepts json with escapes that only look like NUL, and surrogate pairs', () => {
    expect(coerceValue(type('json'), { a: '\\u0000', b: '🚀' })).toEqual({
      ok: true,
      value: '{"a":"\\\\u0000","b":"🚀"}',
    });
  });

  it('refuses a lone surrogate in text: it would be stored as U+FFFD, not as sent', () => {
    expect(reason('text', 'a\ud83d')).toMatch(/lone UTF-16 surrogate/);
  });

  it('measures varchar(n) in characters on PostgreSQL and in bytes where the rules say so', () => {
    expect(accepted('varchar(3)', 'ééé')).toBe(true);
    expect(accepted('varchar(3)', '🚀🚀🚀')).toBe(true);
    expect(reason('varchar(3)', 'éééé')).toMatch(
      /4 characters long; varchar\(3\) on PostgreSQL takes at most 3/,
    );
    expect(reason('varchar(3)', 'éé', bytesRules)).toMatch(/4 bytes long; varchar\(3\) on Redshift/);
    expect(accepted('varchar(4)', 'éé', bytesRules)).toBe(true);
  });

  it('bounds text and json by the bytes the rules allow', () => {
    const big = 'é'.repeat(32768);
    expect(accepted('text', big)).toBe(true);
    expect(reason('text', big, bytesRules)).toMatch(/65536 bytes long; Redshift takes at most 65535/);
    expect(reason('json', { big }, bytesRules)).toMatch(/bytes of JSON; Redshift takes at most 65535/);
    expect(accepted('json', { big })).toBe(true);
  });

  it('keeps integers exact and in range', () => {
    expect(coerceValue(type('bigint'), '+0009223372036854775807')).toEqual({
      ok: true,
      value: '9223372036854775807',
    });
    expect(reason('bigint', '9223372036854775808')).toMatch(/out of range for bigint/);
    expect(reason('integer', 2 ** 31)).toMatch(/out of range for integer/);
  });
});

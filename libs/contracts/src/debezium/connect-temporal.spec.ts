import { describe, expect, it } from 'vitest';
import { epochDate, epochTimestamp, timeOfDay } from './connect-temporal';

describe('epochDate', () => {
  it.each<[bigint, string]>([
    [0n, '1970-01-01'],
    [-1n, '1969-12-31'],
    [11016n, '2000-02-29'],
    [-25509n, '1900-02-28'],
    [-25508n, '1900-03-01'],
    [-719162n, '0001-01-01'],
    [2932896n, '9999-12-31'],
    [2932897n, '10000-01-01'],
  ])('day %s is %s', (days, expected) => {
    expect(epochDate(days)).toBe(expected);
  });

  it('agrees with the JavaScript calendar over four centuries', () => {
    for (let day = -80000; day < 80000; day += 97) {
      expect(epochDate(BigInt(day))).toBe(new Date(day * 86_400_000).toISOString().slice(0, 10));
    }
  });
});

describe('epochTimestamp', () => {
  it('splits before 1970 downwards', () => {
    expect(epochTimestamp(-1n, 'microseconds', false)).toBe('1969-12-31T23:59:59.999999');
    expect(epochTimestamp(-86_400_000n, 'milliseconds', true)).toBe('1969-12-31T00:00:00.000000Z');
  });
});

describe('timeOfDay', () => {
  it('writes six fraction digits, nine only when there are nanoseconds', () => {
    expect(timeOfDay(1_000n, 'nanoseconds')).toBe('00:00:00.000001');
    expect(timeOfDay(1n, 'nanoseconds')).toBe('00:00:00.000000001');
    expect(timeOfDay(86_399_999n, 'milliseconds')).toBe('23:59:59.999000');
  });
});

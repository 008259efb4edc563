import { describe, expect, it } from 'vitest';
import { compareExactDecimals, fractionDigits, integerDigits, parseExactDecimal } from './exact-decimal';

const read = (text: string) => parseExactDecimal(text)!;

describe('parseExactDecimal', () => {
  it.each([
    ['12.50', 2, 1],
    ['1e300', 301, 0],
    ['1.5e-3', 0, 4],
    ['-0012.3400', 2, 2],
    ['0.000', 0, 0],
    ['.5', 0, 1],
    ['5.', 1, 0],
  ])('%s has %i digits before and %i after the point', (text, before, after) => {
    expect(integerDigits(read(text))).toBe(before);
    expect(fractionDigits(read(text))).toBe(after);
  });

  it.each(['', '.', 'e5', '1e', '1.2.3', '--1', 'NaN', '0x10', '1_000'])('refuses %j', (text) => {
    expect(parseExactDecimal(text)).toBeUndefined();
  });

  it('compares huge exponents without building their digits', () => {
    expect(compareExactDecimals(read('1e999999999'), read('9e999999998'))).toBeGreaterThan(0);
    expect(compareExactDecimals(read('-1e999999999'), read('1'))).toBeLessThan(0);
  });
});

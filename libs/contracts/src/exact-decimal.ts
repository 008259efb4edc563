/**
 * Decimal text in any notation (`12.50`, `+1`, `.5`, `1e300`, `-0.0`) read exactly, as
 * coefficient × 10^exponent with BigInt digits, so numeric values and versions are checked and
 * compared as the warehouse's NUMERIC would, never through a JS number.
 */
export interface ExactDecimal {
  /** Signed digits without trailing zeros (0 for zero). */
  readonly coefficient: bigint;
  /** Power of ten (0 for zero). */
  readonly exponent: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Reads decimal text (surrounding spaces allowed, as PostgreSQL allows); undefined if it is not one. */
export function parseExactDecimal(text: string): ExactDecimal | undefined {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const exponent = Number(exponentText) - fraction.length;
  if (!Number.isSafeInteger(exponent)) return undefined;
  const magnitude = BigInt(whole + fraction);
  return normalise(sign === '-' ? -magnitude : magnitude, exponent);
}

function normalise(coefficient: bigint, exponent: number): ExactDecimal {
  if (coefficient === 0n) return { coefficient: 0n, exponent: 0 };
  let c = coefficient;
  let e = exponent;
  while (c % 10n === 0n) {
    c /= 10n;
    e += 1;
  }
  return { coefficient: c, exponent: e };
}

const digitCount = (d: ExactDecimal) =>
  (d.coefficient < 0n ? -d.coefficient : d.coefficient).toString().length;

/** Digits before the point (0 for zero and for values below 1 in size). */
export function integerDigits(d: ExactDecimal): number {
  return d.coefficient === 0n ? 0 : Math.max(0, digitCount(d) + d.exponent);
}

/** Digits after the point that are needed to write the value exactly. */
export function fractionDigits(d: ExactDecimal): number {
  return Math.max(0, -d.exponent);
}

/** Orders two exact decimals (negative: a < b). */
export function compareExactDecimals(a: ExactDecimal, b: ExactDecimal): number {
  const sa = sign(a.coefficient);
  const sb = sign(b.coefficient);
  if (sa !== sb || sa === 0) return sa - sb;
  // Same sign, both non-zero: the position of the leading digit decides before any scaling,
  // so 1e999999999 against 1 never builds a billion-digit number.
  const orderA = digitCount(a) + a.exponent;
  const orderB = digitCount(b) + b.exponent;
  if (orderA !== orderB) return orderA > orderB ? sa : -sa;
  const common = Math.min(a.exponent, b.exponent);
  const x = a.coefficient * 10n ** BigInt(a.exponent - common);
  const y = b.coefficient * 10n ** BigInt(b.exponent - common);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One text per value: equal for every spelling of one number (`1`, `1.00`, `+1`, `1e0`). */
export function canonicalDecimalText(d: ExactDecimal): string {
  return d.exponent === 0 ? d.coefficient.toString() : `${d.coefficient}e${d.exponent}`;
}

const sign = (n: bigint) => (n < 0n ? -1 : n > 0n ? 1 : 0);

import { formatColumnType, type ColumnType } from '@app/config';
import { readDateTime } from './exact-datetime';
import { fractionDigits, integerDigits, parseExactDecimal } from './exact-decimal';
import { DEFAULT_VALUE_RULES, type WarehouseValueRules } from './warehouse-value-rules';

export type Coerced = { ok: true; value: string | null } | { ok: false; reason: string };

const INT_TEXT = /^[+-]?\d+$/;
const NON_FINITE_DOUBLE = /^(NaN|-?Infinity)$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SMALLEST_NORMAL_DOUBLE = 2.2250738585072014e-308;
const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

const ok = (value: string | null): Coerced => ({ ok: true, value });
const fail = (reason: string): Coerced => ({ ok: false, reason });

/**
 * Turns a JSON value into the text the warehouse loads, or says why it cannot. A value accepted
 * here must load: a refusal by the warehouse would fail the whole batch and stop its lane, so
 * every rule below is the warehouse's own (shared ones here, differing ones in `rules`). Exact
 * types (bigint, numeric) accept strings so values beyond 2^53 survive JSON; a JSON number that
 * already lost precision is refused rather than loaded wrong.
 */
export function coerceValue(
  type: ColumnType,
  value: unknown,
  rules: WarehouseValueRules = DEFAULT_VALUE_RULES,
): Coerced {
  if (value === null || value === undefined) return ok(null);
  switch (type.kind) {
    case 'text':
    case 'varchar':
      return coerceText(type, value, rules);
    case 'integer':
    case 'bigint':
      return coerceInteger(type.kind, value);
    case 'numeric':
      return coerceNumeric(type, value);
    case 'double':
      return coerceDouble(value, rules);
    case 'boolean':
      if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
      if (value === 'true' || value === 'false') return ok(value);
      return fail(`expected true or false, got ${describe(value)}`);
    case 'date':
    case 'timestamp':
    case 'timestamptz': {
      if (typeof value !== 'string') return fail(`expected a ${type.kind} string, got ${describe(value)}`);
      const read = readDateTime(type.kind, value, rules);
      return read.ok ? ok(value) : fail(read.reason);
    }
    case 'json':
      return coerceJson(value, rules);
  }
}

function coerceText(
  type: ColumnType & { kind: 'text' | 'varchar' },
  value: unknown,
  rules: WarehouseValueRules,
) {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    return fail(`expected a string, got ${describe(value)}`);
  }
  const text = String(value);
  const unloadable = unloadableString(text);
  if (unloadable) return fail(unloadable);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (type.kind === 'varchar') {
    const length = rules.varcharLength === 'bytes' ? bytes : [...text].length;
    if (length > type.length) {
      return fail(
        `is ${length} ${rules.varcharLength} long; varchar(${type.length}) on ${rules.warehouse} takes at most ${type.length} ${rules.varcharLength}`,
      );
    }
  }
  if (bytes > rules.maxTextBytes) {
    return fail(
      `is ${bytes} bytes long; ${rules.warehouse} takes at most ${rules.maxTextBytes} bytes of text`,
    );
  }
  return ok(text);
}

function coerceInteger(kind: 'integer' | 'bigint', value: unknown): Coerced {
  const [min, max] = kind === 'integer' ? INT32 : INT64;
  let digits: string;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return fail(`expected a whole number, got ${value}`);
    if (!Number.isSafeInteger(value)) {
      return fail(
        `${value} is beyond 2^53 and lost precision in JSON; send ${kind} values this large as strings`,
      );
    }
    digits = String(value);
  } else if (typeof value === 'string' && INT_TEXT.test(value.trim())) {
    digits = value.trim();
  } else {
    return fail(`expected a whole number, got ${describe(value)}`);
  }
  const n = BigInt(digits);
  if (n < min || n > max) return fail(`${digits} is out of range for ${kind} (${min} to ${max})`);
  return ok(n.toString());
}

/**
 * Precision and scale are checked on the exact value whatever its notation (`1e300` has 301
 * digits before the point). A value needing more digits after the point than the scale is
 * refused rather than rounded, so no digit is lost silently and rounding can never carry a
 * value past the precision (9.995 into numeric(3,2) would become 10.00).
 */
function coerceNumeric(type: ColumnType & { kind: 'numeric' }, value: unknown): Coerced {
  let text: string;
  if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'string') text = value.trim();
  else return fail(`expected a decimal number, got ${describe(value)}`);
  const exact = parseExactDecimal(text);
  if (!exact) return fail(`expected a decimal number, got ${describe(value)}`);
  const declared = formatColumnType(type);
  const whole = integerDigits(exact);
  if (whole > type.precision - type.scale) {
    return fail(
      `${text} has ${whole} digits before the point; ${declared} takes at most ${type.precision - type.scale}`,
    );
  }
  const fraction = fractionDigits(exact);
  if (fraction > type.scale) {
    return fail(
      `${text} has ${fraction} digits after the point; ${declared} takes at most ${type.scale}: round it before sending`,
    );
  }
  return ok(text);
}

/** A double must be representable: no overflow to infinity, no underflow of a non-zero value to 0. */
function coerceDouble(value: unknown, rules: WarehouseValueRules): Coerced {
  if (typeof value === 'number') return ok(String(value));
  if (typeof value !== 'string') return fail(`expected a number, got ${describe(value)}`);
  const text = value.trim();
  if (NON_FINITE_DOUBLE.test(text)) return ok(text);
  const exact = parseExactDecimal(text);
  if (!exact) return fail(`expected a number, got ${describe(value)}`);
  const parsed = Number(text);
  if (!Number.isFinite(parsed)) {
    return fail(`${text} is out of range for double (at most ±${Number.MAX_VALUE})`);
  }
  if (parsed === 0 && exact.coefficient !== 0n) {
    return fail(`${text} is too close to zero for double (it would underflow to 0)`);
  }
  if (!rules.subnormalDoubles && parsed !== 0 && Math.abs(parsed) < SMALLEST_NORMAL_DOUBLE) {
    return fail(
      `${text} is too close to zero for double on ${rules.warehouse} (at least ±${SMALLEST_NORMAL_DOUBLE} or 0)`,
    );
  }
  return ok(text);
}

function coerceJson(value: unknown, rules: WarehouseValueRules): Coerced {
  const unloadable = unloadableJson(value);
  if (unloadable) return fail(unloadable);
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > rules.maxJsonBytes) {
    return fail(`is ${bytes} bytes of JSON; ${rules.warehouse} takes at most ${rules.maxJsonBytes} bytes`);
  }
  return ok(text);
}

/** Why a string cannot be stored unchanged, if it cannot: NUL, or UTF-16 that is not Unicode. */
function unloadableString(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains the NUL character (\\u0000), which text and json cannot hold';
  if (LONE_SURROGATE.test(text)) {
    return 'contains a lone UTF-16 surrogate, which is not a Unicode character and cannot be stored';
  }
  return undefined;
}

/** The first string (key or value) or number in a JSON value that cannot be stored unchanged. */
function unloadableJson(value: unknown): string | undefined {
  if (typeof value === 'string') return unloadableString(value);
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `contains ${value}, which JSON cannot hold`;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = unloadableJson(item);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const problem = unloadableString(key) ?? unloadableJson(item);
      if (problem) return problem;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

import type { ColumnType } from '@app/config';

export type Coerced = { ok: true; value: string | null } | { ok: false; reason: string };

const INT_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;
const TIMESTAMPTZ_TEXT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;

const ok = (value: string | null): Coerced => ({ ok: true, value });
const fail = (reason: string): Coerced => ({ ok: false, reason });

/**
 * Turns a JSON value into the canonical text the warehouse loads, or says why it cannot.
 * Exact types (bigint, numeric) accept strings so values beyond 2^53 survive JSON; a JSON
 * number that already lost precision is refused rather than loaded wrong.
 */
export function coerceValue(type: ColumnType, value: unknown): Coerced {
  if (value === null || value === undefined) return ok(null);
  switch (type.kind) {
    case 'text':
    case 'varchar': {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return fail(`expected a string, got ${describe(value)}`);
      }
      const text = String(value);
      if (text.includes('\u0000')) return fail('text cannot contain the NUL character (\\u0000)');
      if (type.kind === 'varchar' && Buffer.byteLength(text, 'utf8') > type.length) {
        return fail(
          `is ${Buffer.byteLength(text, 'utf8')} bytes long, more than varchar(${type.length}) allows`,
        );
      }
      return ok(text);
    }
    case 'integer':
    case 'bigint': {
      const [min, max] = type.kind === 'integer' ? INT32 : INT64;
      let digits: string;
      if (typeof value === 'number') {
        if (!Number.isInteger(value)) return fail(`expected a whole number, got ${value}`);
        if (!Number.isSafeInteger(value)) {
          return fail(
            `${value} is beyond 2^53 and lost precision in JSON; send ${type.kind} values this large as strings`,
          );
        }
        digits = String(value);
      } else if (typeof value === 'string' && INT_TEXT.test(value.trim())) {
        digits = value.trim();
      } else {
        return fail(`expected a whole number, got ${describe(value)}`);
      }
      const n = BigInt(digits);
      if (n < min || n > max) return fail(`${digits} is out of range for ${type.kind}`);
      return ok(n.toString());
    }
    case 'numeric': {
      let text: string;
      if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) text = value.trim();
      else return fail(`expected a decimal number, got ${describe(value)}`);
      const [whole = '', fraction = ''] = text
        .replace(/^[+-]/, '')
        .replace(/[eE].*$/, '')
        .split('.');
      const integerDigits = whole.replace(/^0+/, '').length;
      if (!/[eE]/.test(text) && integerDigits > type.precision - type.scale) {
        return fail(
          `${text} has more than ${type.precision - type.scale} digits before the point for numeric(${type.precision},${type.scale})`,
        );
      }
      if (!/[eE]/.test(text) && fraction.length > type.scale) {
        return fail(
          `${text} has more than ${type.scale} digits after the point for numeric(${type.precision},${type.scale}); round it before sending`,
        );
      }
      return ok(text);
    }
    case 'double': {
      if (typeof value === 'number') return ok(String(value));
      if (typeof value === 'string' && (DECIMAL_TEXT.test(value.trim()) || /^(NaN|-?Infinity)$/.test(value)))
        return ok(value.trim());
      return fail(`expected a number, got ${describe(value)}`);
    }
    case 'boolean': {
      if (typeof value === 'boolean') return ok(value ? 'true' : 'false');
      if (value === 'true' || value === 'false') return ok(value);
      return fail(`expected true or false, got ${describe(value)}`);
    }
    case 'date':
      return typeof value === 'string' && DATE_TEXT.test(value) && !Number.isNaN(Date.parse(value))
        ? ok(value)
        : fail(`expected a date like 2026-01-31, got ${describe(value)}`);
    case 'timestamp':
      return typeof value === 'string' &&
        TIMESTAMP_TEXT.test(value) &&
        !Number.isNaN(Date.parse(value.replace(' ', 'T').slice(0, 19)))
        ? ok(value)
        : fail(`expected a timestamp like 2026-01-31T12:00:00.123456 (no zone), got ${describe(value)}`);
    case 'timestamptz':
      if (
        typeof value === 'string' &&
        TIMESTAMPTZ_TEXT.test(value) &&
        !Number.isNaN(Date.parse(value.slice(0, 10)))
      ) {
        return ok(value);
      }
      return fail(
        `expected a timestamp with a zone like 2026-01-31T12:00:00.123456Z, got ${describe(value)}`,
      );
    case 'json':
      return ok(JSON.stringify(value));
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

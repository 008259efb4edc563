import { parseBoundedJson, type JsonLimits } from '../bounded-json';

/** Every integer beyond 2^53 has at least 16 digits. */
const LONG_DIGITS = /\d{16}/;
const INTEGER = /^-?\d+$/;

/**
 * Parses JSON as parseBoundedJson does (same limits, ChangeRejected for what it refuses), but
 * an integer beyond 2^53 comes back as a bigint with every digit, where JSON.parse would round
 * it: Debezium writes int64 columns (bigint ids, NanoTimestamps) and LSNs as JSON numbers.
 * The bounded parse comes first, so the reviver's recursion only meets documents of bounded
 * depth; text without a 16-digit run cannot hold such an integer and is parsed once.
 */
export function parseExactJson(input: Buffer | string, limits?: JsonLimits): unknown {
  const parsed = parseBoundedJson(input, limits);
  const text = typeof input === 'string' ? input : input.toString('utf8');
  return LONG_DIGITS.test(text) ? JSON.parse(text, exactInteger) : parsed;
}

/** JSON.parse's reviver, given each number's source text (Node 21 and later). */
function exactInteger(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER.test(source) ? BigInt(source) : value;
}

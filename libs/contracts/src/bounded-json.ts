import { ChangeRejected, type ChangeErrorCode } from './error-codes';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects accepted; `{}` is depth 1. */
  maxDepth?: number;
  /** Largest input accepted, in UTF-8 bytes. */
  maxBytes?: number;
}

/**
 * Deep enough for any change event with nested `json` column values, far below the depth at
 * which a recursive parser (JSON.parse, JSON.stringify, a validator) overflows the stack.
 */
export const DEFAULT_JSON_MAX_DEPTH = 64;
/** A change bigger than this cannot be loaded in one flush anyway (default flush maxBytes). */
export const DEFAULT_JSON_MAX_BYTES = 16 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses JSON that came from outside, refusing with ChangeRejected (never a RangeError or a
 * silently altered string) input that is too big, not strict UTF-8, nested deeper than
 * `maxDepth`, holds a lone UTF-16 surrogate escape, or is not JSON. Depth and surrogates are
 * checked by one linear scan before JSON.parse, so a deeply nested document never reaches a
 * recursive parser.
 */
export function parseBoundedJson(input: Buffer | string, limits: JsonLimits = {}): unknown {
  const maxDepth = limits.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  const maxBytes = limits.maxBytes ?? DEFAULT_JSON_MAX_BYTES;
  const text = typeof input === 'string' ? checkedString(input, maxBytes) : decodeStrict(input, maxBytes);
  scanJson(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (error) {
    return reject('MALFORMED_JSON', `not valid JSON: ${(error as Error).message}`);
  }
}

function reject(code: ChangeErrorCode, message: string): never {
  throw new ChangeRejected([{ code, message }]);
}

function decodeStrict(bytes: Buffer, maxBytes: number): string {
  if (bytes.byteLength > maxBytes) tooLarge(bytes.byteLength, maxBytes);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return reject('INVALID_UTF8', 'the input is not valid UTF-8');
  }
}

/** With the `u` flag a paired surrogate is one code point, so only a lone one matches. */
const LONE_SURROGATE = /\p{Cs}/u;

function checkedString(text: string, maxBytes: number): string {
  // A string can only exceed maxBytes in UTF-8 if it has more than maxBytes / 3 code units.
  if (text.length > maxBytes / 3) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) tooLarge(bytes, maxBytes);
  }
  // A string decoded elsewhere without `fatal` may already hold a lone surrogate.
  if (LONE_SURROGATE.test(text)) reject('INVALID_UTF8', 'the input holds a lone UTF-16 surrogate');
  return text;
}

function tooLarge(bytes: number, maxBytes: number): never {
  return reject('TOO_LARGE', `the input is ${bytes} bytes; at most ${maxBytes} are accepted`);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const LOWER_U = 0x75;

/** One pass over the text: nesting depth outside strings, `\uXXXX` surrogate pairing inside. */
function scanJson(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === QUOTE) inString = false;
      else if (c === BACKSLASH) i = skipEscape(text, i);
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) reject('TOO_DEEP', `the JSON is nested deeper than ${maxDepth} levels`);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      // Unbalanced brackets are JSON.parse's to refuse; only the depth matters here.
      if (depth > 0) depth--;
    }
  }
}

/** Returns the index of the last character of the escape starting at `i` (a backslash). */
function skipEscape(text: string, i: number): number {
  if (text.charCodeAt(i + 1) !== LOWER_U) return i + 1;
  const unit = hexUnit(text, i + 2);
  if (unit === undefined) return i + 1; // malformed: JSON.parse refuses it
  if (isLowSurrogate(unit)) loneSurrogate(unit);
  if (!isHighSurrogate(unit)) return i + 5;
  const next =
    text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === LOWER_U
      ? hexUnit(text, i + 8)
      : undefined;
  if (next === undefined || !isLowSurrogate(next)) loneSurrogate(unit);
  return i + 11;
}

function hexUnit(text: string, start: number): number | undefined {
  const hex = text.slice(start, start + 4);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : undefined;
}

const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff;

function loneSurrogate(unit: number): never {
  return reject(
    'INVALID_UTF8',
    `the JSON holds a lone UTF-16 surrogate \\u${unit.toString(16).padStart(4, '0')}, which no UTF-8 text can carry`,
  );
}

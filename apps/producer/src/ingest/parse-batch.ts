import { ChangeRejected, DEFAULT_JSON_MAX_DEPTH, parseBoundedJson, type ChangeIssue } from '@app/contracts';
import type { BodyFormat } from '../http/body-format';

export interface BatchError {
  /** Position of the event in the array, or its line number - 1 in NDJSON (blank lines count). */
  index: number;
  issues: ChangeIssue[];
}

/** One event of a batch with the index its errors are reported under. */
export interface BatchEntry {
  index: number;
  event: unknown;
}

export type ParsedBatch = { ok: true; entries: BatchEntry[] } | { ok: false; errors: BatchError[] };

const NEWLINE = 0x0a;
const OPEN_BRACKET = 0x5b;

/**
 * Splits a request body into change events: `json` is one document (an array of events or
 * one event), `ndjson` one event per line. Bytes are decoded strictly (invalid UTF-8 and lone
 * surrogates are refused, never replaced by U+FFFD) and nesting is bounded before parsing, so
 * no input reaches a recursive parser deep enough to overflow the stack. Every bad NDJSON line
 * is reported, not only the first, so a producer can fix a batch in one go.
 */
export function parseBatch(body: Buffer, format: BodyFormat): ParsedBatch {
  if (isBlank(body))
    return failed(0, {
      code: 'MALFORMED_JSON',
      message: 'the body is empty; send a JSON array, a JSON object or NDJSON of change events',
    });
  return format === 'json' ? parseDocument(body) : parseLines(body);
}

function parseDocument(body: Buffer): ParsedBatch {
  // The array around a batch is one level more than each event may use on its own.
  const array = firstNonBlank(body) === OPEN_BRACKET;
  const parsed = parseOrIssues(body, array ? DEFAULT_JSON_MAX_DEPTH + 1 : DEFAULT_JSON_MAX_DEPTH);
  if (!parsed.ok) return failed(0, ...parsed.issues);
  const events = Array.isArray(parsed.value) ? (parsed.value as unknown[]) : [parsed.value];
  return { ok: true, entries: events.map((event, index) => ({ index, event })) };
}

function parseLines(body: Buffer): ParsedBatch {
  const entries: BatchEntry[] = [];
  const errors: BatchError[] = [];
  let start = 0;
  // Split on the byte: 0x0A never occurs inside a multi-byte UTF-8 sequence.
  for (let index = 0; start <= body.length; index++) {
    const end = body.indexOf(NEWLINE, start);
    const line = body.subarray(start, end === -1 ? body.length : end);
    start = end === -1 ? body.length + 1 : end + 1;
    if (isBlank(line)) continue;
    const parsed = parseOrIssues(line, DEFAULT_JSON_MAX_DEPTH);
    if (parsed.ok) entries.push({ index, event: parsed.value });
    else errors.push({ index, issues: parsed.issues });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, entries };
}

type Parsed = { ok: true; value: unknown } | { ok: false; issues: ChangeIssue[] };

function parseOrIssues(bytes: Buffer, maxDepth: number): Parsed {
  try {
    return { ok: true, value: parseBoundedJson(bytes, { maxDepth }) };
  } catch (error) {
    if (error instanceof ChangeRejected) return { ok: false, issues: error.issues };
    throw error;
  }
}

/** JSON's own whitespace only: anything else is the parser's to accept or refuse. */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function firstNonBlank(bytes: Buffer): number | undefined {
  return bytes.find((byte) => !JSON_WHITESPACE.has(byte));
}

const isBlank = (bytes: Buffer): boolean => firstNonBlank(bytes) === undefined;

function failed(index: number, ...issues: ChangeIssue[]): ParsedBatch {
  return { ok: false, errors: [{ index, issues }] };
}

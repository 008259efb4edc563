import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBoundedJson } from './bounded-json';
import { ChangeRejected, type ChangeErrorCode } from './error-codes';

function codeOf(run: () => unknown): ChangeErrorCode | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ChangeRejected);
    return (error as ChangeRejected).code;
  }
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseBoundedJson', () => {
  it('parses whatever JSON.parse parses, from a string or UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseBoundedJson(text)).toEqual(JSON.parse(text));
        expect(parseBoundedJson(Buffer.from(text, 'utf8'))).toEqual(JSON.parse(text));
      }),
    );
  });

  it('keeps well-formed surrogate pairs, escaped or literal', () => {
    expect(parseBoundedJson('"\\ud83d\\ude00"')).toBe('😀');
    expect(parseBoundedJson(Buffer.from('{"😀":"😀"}'))).toEqual({ '😀': '😀' });
  });

  it('refuses nesting deeper than maxDepth with TOO_DEEP before parsing, even 6,000 levels', () => {
    expect(parseBoundedJson(nested(64))).toBeDefined();
    expect(codeOf(() => parseBoundedJson(nested(65)))).toBe('TOO_DEEP');
    expect(codeOf(() => parseBoundedJson(`{"table":"t","row":{"j":${nested(6000)}}}`))).toBe('TOO_DEEP');
    // Unclosed: the document is not JSON either, but the depth is what is reported.
    expect(codeOf(() => parseBoundedJson('{"a":'.repeat(200_000)))).toBe('TOO_DEEP');
    expect(codeOf(() => parseBoundedJson(nested(3), { maxDepth: 2 }))).toBe('TOO_DEEP');
  });

  it('counts brackets inside strings as text, not depth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 500 }), (n) => {
        const text = JSON.stringify({ s: '['.repeat(n) + '\\"{'.repeat(n) });
        expect(parseBoundedJson(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('refuses a lone surrogate escape anywhere, in a value or a key, with INVALID_UTF8', () => {
    const lone = fc.oneof(
      fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => `\\u${u.toString(16)}`),
      fc.integer({ min: 0xd800, max: 0xdbff }).map((u) => `\\u${u.toString(16).toUpperCase()}x`),
      fc.integer({ min: 0xd800, max: 0xdbff }).map((u) => `\\u${u.toString(16)}\\u0041`),
      fc.integer({ min: 0xd800, max: 0xdbff }).map((u) => `\\u${u.toString(16)}\\u${u.toString(16)}`),
    );
    fc.assert(
      fc.property(lone, fc.string(), fc.boolean(), (escape, around, inKey) => {
        const str = JSON.stringify(around).slice(0, -1) + escape + '"';
        const text = inKey ? `{${str}:1}` : `{"k":[1,${str}]}`;
        expect(codeOf(() => parseBoundedJson(text))).toBe('INVALID_UTF8');
      }),
    );
  });

  it('refuses a string that already holds a lone surrogate code unit', () => {
    expect(codeOf(() => parseBoundedJson('"a\ud800b"'))).toBe('INVALID_UTF8');
  });

  it('does not mistake an escaped backslash before u for an escape', () => {
    expect(parseBoundedJson('"\\\\ud800"')).toBe('\\ud800');
  });

  it('refuses bytes that are not strict UTF-8 instead of replacing them with U+FFFD', () => {
    const invalid = fc.constantFrom(
      [0xff],
      [0xc3], // truncated two-byte sequence
      [0xc0, 0xaf], // overlong "/"
      [0xed, 0xa0, 0x80], // an encoded surrogate (CESU-8)
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    );
    fc.assert(
      fc.property(fc.string(), invalid, (text, bad) => {
        const inside = Buffer.from(JSON.stringify(text), 'utf8');
        const bytes = Buffer.concat([inside.subarray(0, -1), Buffer.from(bad), Buffer.from('"')]);
        expect(codeOf(() => parseBoundedJson(bytes))).toBe('INVALID_UTF8');
      }),
    );
  });

  it('refuses input over maxBytes with TOO_LARGE, counting UTF-8 bytes', () => {
    expect(parseBoundedJson('"ééé"', { maxBytes: 8 })).toBe('ééé');
    expect(codeOf(() => parseBoundedJson('"éééé"', { maxBytes: 8 }))).toBe('TOO_LARGE');
    expect(codeOf(() => parseBoundedJson(Buffer.alloc(9, 0x20), { maxBytes: 8 }))).toBe('TOO_LARGE');
  });

  it('answers anything else that is not JSON with MALFORMED_JSON, and never throws anything but ChangeRejected', () => {
    expect(codeOf(() => parseBoundedJson('{"table":'))).toBe('MALFORMED_JSON');
    expect(codeOf(() => parseBoundedJson(']]]['))).toBe('MALFORMED_JSON');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        codeOf(() => parseBoundedJson(Buffer.from(bytes), { maxDepth: 4 }));
      }),
    );
  });
});

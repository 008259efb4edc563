import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBatch } from './parse-batch';

const event = (id: number) => JSON.stringify({ table: 'public.sales', op: 'upsert', row: { id } });
const codes = (body: string | Buffer, format: 'json' | 'ndjson') => {
  const parsed = parseBatch(Buffer.from(body), format);
  return parsed.ok ? [] : parsed.errors.map((e) => [e.index, ...e.issues.map((i) => i.code)]);
};

describe('parseBatch', () => {
  it('reads a JSON array or one object as json, and one event per line as ndjson', () => {
    expect(parseBatch(Buffer.from(`[${event(1)},${event(2)}]`), 'json')).toMatchObject({
      ok: true,
      entries: [{ index: 0 }, { index: 1 }],
    });
    expect(parseBatch(Buffer.from(event(1)), 'json')).toMatchObject({ ok: true, entries: [{ index: 0 }] });
    // NDJSON is not guessed from a JSON body: it has its own Content-Type.
    expect(codes(`${event(1)}\n${event(2)}`, 'json')).toEqual([[0, 'MALFORMED_JSON']]);
  });

  it('indexes NDJSON by line number - 1, blank lines counted', () => {
    const body = `\n${event(1)}\r\n\n{oops\n  \n${event(2)}\n[1,\n`;
    expect(codes(body, 'ndjson')).toEqual([
      [3, 'MALFORMED_JSON'],
      [6, 'MALFORMED_JSON'],
    ]);
    const good = parseBatch(Buffer.from(`\n${event(1)}\n\n${event(2)}\n`), 'ndjson');
    expect(good.ok && good.entries.map((e) => e.index)).toEqual([1, 3]);
  });

  it('the index of every bad line is its line number - 1, for any mix of lines', () => {
    const line = fc.constantFrom(event(1), '', ' ', '\r', '{bad', '"\\x"');
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const bad = lines.flatMap((l, i) => (l === '{bad' || l === '"\\x"' ? [i] : []));
        const parsed = parseBatch(Buffer.from(lines.join('\n')), 'ndjson');
        if (bad.length > 0) expect(!parsed.ok && parsed.errors.map((e) => e.index)).toEqual(bad);
        else if (parsed.ok)
          expect(parsed.entries.map((e) => e.index)).toEqual(
            lines.flatMap((l, i) => (l === event(1) ? [i] : [])),
          );
      }),
    );
  });

  it('refuses invalid UTF-8 and lone surrogates instead of loading U+FFFD', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"table":"public.sales","id":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    expect(codes(bytes, 'json')).toEqual([[0, 'INVALID_UTF8']]);
    expect(codes(Buffer.concat([Buffer.from(`${event(1)}\n`), bytes]), 'ndjson')).toEqual([
      [1, 'INVALID_UTF8'],
    ]);
    expect(codes('{"id":"\\ud800"}', 'json')).toEqual([[0, 'INVALID_UTF8']]);
  });

  it('refuses 6,000 levels of nesting before parsing, and allows an array one level more than an event', () => {
    const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
    expect(codes(`{"row":{"doc":${deep}}}`, 'json')).toEqual([[0, 'TOO_DEEP']]);
    expect(codes(`${event(1)}\n${deep}`, 'ndjson')).toEqual([[1, 'TOO_DEEP']]);
    const nested = (depth: number) => `{"row":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(codes(nested(64), 'json')).toEqual([]);
    expect(codes(`[${nested(64)}]`, 'json')).toEqual([]);
    expect(codes(`[${nested(65)}]`, 'json')).toEqual([[0, 'TOO_DEEP']]);
  });

  it('says an empty body is empty', () => {
    expect(codes(' \r\n', 'json')).toEqual([[0, 'MALFORMED_JSON']]);
    expect(codes('\n\n', 'ndjson')).toEqual([[0, 'MALFORMED_JSON']]);
  });
});

import { describe, expect, it } from 'vitest';
import { ChangeRejected } from '../error-codes';
import { parseExactJson } from './exact-json';

describe('parseExactJson', () => {
  it('keeps integers beyond 2^53 exact, as bigints', () => {
    expect(parseExactJson('{"total":9007199254740993,"neg":-9223372036854775808,"n":7}')).toEqual({
      total: 9007199254740993n,
      neg: -9223372036854775808n,
      n: 7,
    });
    expect(parseExactJson(Buffer.from('[1764601200123456000]'))).toEqual([1764601200123456000n]);
  });

  it('leaves everything else as JSON.parse gives it', () => {
    expect(
      parseExactJson('{"d":1234567890123456.5,"e":1e300,"s":"12345678901234567890","n":9007199254740991}'),
    ).toEqual({
      d: 1234567890123456.5,
      e: 1e300,
      s: '12345678901234567890',
      n: 9007199254740991,
    });
  });

  it('refuses what parseBoundedJson refuses', () => {
    expect(() => parseExactJson('{"a":')).toThrow(ChangeRejected);
    expect(() => parseExactJson(`${'['.repeat(65)}1${']'.repeat(65)}`)).toThrow(ChangeRejected);
    expect(() => parseExactJson('[12345678901234567890]', { maxBytes: 5 })).toThrow(ChangeRejected);
  });
});

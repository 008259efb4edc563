import { describe, expect, it } from 'vitest';
import { negotiateBodyFormat } from './body-format';

describe('negotiateBodyFormat', () => {
  it('reads JSON and NDJSON in UTF-8, whatever the case and spelling of the charset', () => {
    expect(negotiateBodyFormat('application/json')).toEqual({ ok: true, format: 'json' });
    expect(negotiateBodyFormat('Application/JSON; charset=UTF-8')).toEqual({ ok: true, format: 'json' });
    expect(negotiateBodyFormat('application/x-ndjson;charset="utf8"')).toEqual({
      ok: true,
      format: 'ndjson',
    });
  });

  it('refuses a missing type, any other type, and any other charset', () => {
    for (const type of [
      undefined,
      '',
      'text/plain',
      'image/png',
      'application/jsonl',
      'application/x-www-form-urlencoded',
    ])
      expect(negotiateBodyFormat(type).ok, String(type)).toBe(false);
    expect(negotiateBodyFormat('application/json; charset=latin1')).toMatchObject({
      ok: false,
      message: expect.stringContaining('UTF-8'),
    });
  });
});

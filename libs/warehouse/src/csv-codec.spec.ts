import { describe, expect, it } from 'vitest';
import { decodeCsv } from '../../../test/support/csv';
import { encodeCsv } from './csv-codec';

describe('csv codec', () => {
  it('round-trips NULL, empty strings, quotes, delimiters, newlines, backslashes and unicode', () => {
    const values = [
      null,
      '',
      '""',
      'a,b',
      'line1\nline2\r\n',
      '\\N',
      'back\\slash',
      'ünïcödé 表 🚀',
      ' padded ',
      'NULL',
    ];
    const encoded = encodeCsv([
      { op: 'u', values },
      { op: 'd', values: ['1', null, ...values.slice(2)] },
    ]).toString('utf8');
    expect(decodeCsv(encoded)).toEqual([
      [...values, 'u'],
      ['1', null, ...values.slice(2), 'd'],
    ]);
  });

  it('writes NULL as the unquoted marker and text always quoted', () => {
    expect(encodeCsv([{ op: 'u', values: [null, '', 'x"y'] }]).toString()).toBe('\\N,"","x""y",u\n');
  });
});

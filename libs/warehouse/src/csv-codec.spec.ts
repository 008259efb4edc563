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

  it('adds keep flags and the fill-from key to every row of a partial batch only', () => {
    const truncated = encodeCsv([
      { op: 't', values: [null, null, '7'] },
      { op: 'u', values: ['1', 'a', '8'] },
    ]);
    expect(truncated.toString()).toBe('\\N,\\N,"7",t\n"1","a","8",u\n');
    const partial = encodeCsv([
      { op: 'u', values: ['2', null, '9'], keep: { columns: [false, true, false], from: ['1'] } },
      { op: 'u', values: ['3', null, '9'], keep: { columns: [false, true, false], from: [null] } },
      { op: 'd', values: ['1', null, '9'] },
    ]);
    expect(decodeCsv(partial.toString())).toEqual([
      ['2', null, '9', 'u', '010', '1'],
      ['3', null, '9', 'u', '010', null],
      ['1', null, '9', 'd', null, null],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import type { StagedRow } from '../staged-row';
import { COPY_FORMAT_OPTIONS, copyFromS3 } from './redshift-copy';
import { encodeRedshiftStagedFile } from './redshift-staging';

interface RedshiftCsvRules {
  /** NULL AS: a field whose text equals it loads as NULL. */
  nullAs: string;
  /**
   * Whether NULL AS also matches a quoted field. Redshift's COPY documentation does not say
   * (PostgreSQL's says it does not); both readings are checked below.
   */
  quotedNullIsNull: boolean;
}

/**
 * Reads CSV as Redshift documents COPY ... CSV (copy-parameters-data-format,
 * copy-parameters-data-conversion): `,` separates fields, a record ends at a newline outside
 * quotes; a field enclosed in `"` may hold delimiters, newlines and carriage returns, and a
 * doubled `""` inside it is one quote; white space between a delimiter and the quotes of a
 * quoted field is ignored; a field matching NULL AS is NULL. Without EMPTYASNULL and
 * BLANKSASNULL, an empty or blank field of a VARCHAR column loads as it is.
 */
function readAsRedshiftCopy(text: string, rules: RedshiftCsvRules): (string | null)[][] {
  const records: (string | null)[][] = [];
  let record: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] === '"') {
      let value = '';
      i = j + 1;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote < 0) throw new Error('unterminated quoted field');
        value += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      while (text[i] === ' ' || text[i] === '\t') i++;
      record.push(rules.quotedNullIsNull && value === rules.nullAs ? null : value);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\n') end++;
      const raw = text.slice(i, end);
      record.push(raw === rules.nullAs ? null : raw);
      i = end;
    }
    if (text[i] === ',') {
      i++;
    } else if (text[i] === '\n' || i >= text.length) {
      records.push(record);
      record = [];
      i++;
    } else {
      throw new Error(`unexpected ${JSON.stringify(text[i])} after a field`);
    }
  }
  return records;
}

const NULL_AS = '\\N';
const hard = [
  null,
  '',
  ' ',
  '   ',
  '""',
  '"',
  'x""y',
  ',',
  'a,b',
  'line1\nline2',
  'crlf\r\n',
  '\r',
  'back\\slash',
  '\\',
  'N',
  'NULL',
  'null',
  ' padded ',
  'ünïcödé 表 🚀',
  '\\N\\N',
  ' \\N',
  '{"a":[1,"\\u0000x"]}',
];

function stageAndRead(rows: StagedRow[], quotedNullIsNull: boolean): StagedRow[] {
  const text = gunzipSync(encodeRedshiftStagedFile(rows)).toString('utf8');
  return readAsRedshiftCopy(text, { nullAs: NULL_AS, quotedNullIsNull }).map((fields) => ({
    op: fields[fields.length - 1] as StagedRow['op'],
    values: fields.slice(0, -1),
  }));
}

describe('staged files read back by the rules Redshift documents for COPY ... CSV NULL AS', () => {
  it('COPY is built with exactly the format options this reader models', () => {
    const { text } = copyFromS3('"s"', ['"v"', '"__tl_op"'], 's3://bucket/k.csv.gz', {
      credentials: { kind: 'iam-role', roleArn: 'arn:aws:iam::123456789012:role/r' },
      gzip: true,
      manifest: false,
    });
    expect(text).toContain(`CSV NULL AS '\\\\N'`);
    expect(text).toMatch(/ GZIP$/);
    for (const option of COPY_FORMAT_OPTIONS) expect(text).toContain(option);
    // Each of these would change a value, or is not allowed with CSV.
    for (const absent of [
      'EMPTYASNULL',
      'BLANKSASNULL',
      'TRIMBLANKS',
      'TRUNCATECOLUMNS',
      'ACCEPTINVCHARS',
      'ESCAPE',
      'REMOVEQUOTES',
      'DELIMITER',
      'QUOTE',
      'FILLRECORD',
      'IGNOREBLANKLINES',
    ])
      expect(text).not.toContain(absent);
  });

  it('round-trips NULL, empty and blank strings, quotes, delimiters, newlines, backslashes and unicode', () => {
    const rows: StagedRow[] = [
      { op: 'u', values: hard },
      { op: 'd', values: [...hard].reverse() },
      { op: 'u', values: hard.map(() => null) },
      { op: 'u', values: hard.map(() => '') },
      { op: 'u', values: hard.map(() => '\\N') },
    ];
    expect(stageAndRead(rows, false)).toEqual(rows);
  });

  it('if Redshift matched NULL AS inside quotes too, only the exact value \\N would change', () => {
    const rows: StagedRow[] = hard.map((value) => ({ op: 'u', values: [value] }));
    const read = stageAndRead(rows, true);
    const changed = rows.filter((row, i) => read[i]!.values[0] !== row.values[0]).map((r) => r.values[0]);
    expect(changed).toEqual([]);
    expect(stageAndRead([{ op: 'u', values: ['\\N'] }], true)).toEqual([{ op: 'u', values: [null] }]);
    expect(stageAndRead([{ op: 'u', values: ['\\N'] }], false)).toEqual([{ op: 'u', values: ['\\N'] }]);
  });
});

import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { readCsv, type CsvRules } from '../../../../test/support/csv';
import type { StagedRow } from '../staged-row';
import { COPY_FORMAT_OPTIONS, copyFromS3 } from './redshift-copy';
import { encodeRedshiftStagedFile } from './redshift-staging';

const NULL_AS = '\\N';

/**
 * The rules Redshift documents for COPY ... CSV (copy-parameters-data-format,
 * copy-parameters-data-conversion): white space between a delimiter and the quotes of a quoted
 * field is ignored; a field matching NULL AS is NULL. Without EMPTYASNULL and BLANKSASNULL, an
 * empty or blank field of a VARCHAR column loads as it is. Whether NULL AS also matches a quoted
 * field Redshift's documentation does not say (PostgreSQL's says it does not): both readings are
 * checked below.
 */
const redshiftCopy = (quotedNullIsNull: boolean): CsvRules => ({
  nullAs: NULL_AS,
  quotedNullIsNull,
  blanksAroundQuotes: true,
});

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
  return readCsv(text, redshiftCopy(quotedNullIsNull)).map((fields) => ({
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

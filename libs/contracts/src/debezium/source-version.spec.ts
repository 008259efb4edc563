import { describe, expect, it } from 'vitest';
import { ChangeRejected } from '../error-codes';
import { sourceTime, sourceVersion } from './source-version';

const pg = (fields: Record<string, unknown>) => ({
  connector: 'postgresql',
  schema: 'public',
  table: 't',
  ...fields,
});
const mysql = (fields: Record<string, unknown>) => ({
  connector: 'mysql',
  db: 'inventory',
  table: 't',
  ...fields,
});

describe('sourceVersion', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['the LSN as a JSON number', pg({ lsn: 24023128 }), '24023128'],
    ['the LSN as a bigint (Avro long)', pg({ lsn: 18446744073709551615n }), '18446744073709551615'],
    ['the LSN as text', pg({ lsn: '24023128' }), '24023128'],
    [
      'the sequence when there is no LSN (incremental snapshot)',
      pg({ sequence: '["100","24023128"]' }),
      '24023128',
    ],
    [
      'the sequence when the LSN lost digits in JSON',
      pg({ lsn: 2 ** 60, sequence: '[null,"1152921504606846977"]' }),
      '1152921504606846977',
    ],
    ['file 3, pos 154, row 0', mysql({ file: 'mysql-bin.000003', pos: 154, row: 0 }), '3000000000154'],
    ['a later row of the same event', mysql({ file: 'mysql-bin.000003', pos: 154, row: 2 }), '3000000000156'],
    ['MariaDB, without row', mysql({ file: 'mariadb-bin.000012', pos: 4 }), '12000000000004'],
  ])('%s', (_what, source, expected) => {
    expect(sourceVersion(source)).toBe(expected);
  });

  it('orders binlog positions across files and events', () => {
    const order = [
      mysql({ file: 'bin.000001', pos: 4000000000, row: 0 }),
      mysql({ file: 'bin.000002', pos: 4, row: 0 }),
      mysql({ file: 'bin.000002', pos: 4, row: 1 }),
      mysql({ file: 'bin.000002', pos: 900, row: 0 }),
    ].map((s) => BigInt(sourceVersion(s)));
    expect([...order].sort((a, b) => (a < b ? -1 : 1))).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a source without a log position',
      { connector: 'sqlserver', change_lsn: '00000027:00000758:0003' },
      'source',
    ],
    ['an LSN that lost digits and no sequence', pg({ lsn: 2 ** 60 }), 'source.lsn'],
    ['a negative LSN', pg({ lsn: -1, sequence: '["1", null]' }), 'source.lsn'],
    ['a sequence that is not JSON', pg({ lsn: null, sequence: '[1,' }), 'source.lsn'],
    ['a binlog file without a number', mysql({ file: 'binlog', pos: 4 }), 'source.pos'],
    ['a position that is not a number', mysql({ file: 'bin.000001', pos: 'x' }), 'source.pos'],
  ])('refuses %s', (_what, source, field) => {
    expect(() => sourceVersion(source)).toThrow(ChangeRejected);
    try {
      sourceVersion(source);
    } catch (error) {
      expect((error as ChangeRejected).issues).toEqual([
        expect.objectContaining({ code: 'INVALID_VERSION', field }),
      ]);
    }
  });
});

describe('sourceTime', () => {
  it('is source.ts_ms, as a number', () => {
    expect(sourceTime({ ts_ms: 1764601200123 })).toBe(1764601200123);
    expect(sourceTime({ ts_ms: 1764601200123n })).toBe(1764601200123);
    expect(sourceTime({ ts_ms: 'soon' })).toBeUndefined();
    expect(sourceTime({})).toBeUndefined();
  });
});

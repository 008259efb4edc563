import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { ChangeRejected } from './error-codes';
import { DEFAULT_VALUE_RULES } from './warehouse-value-rules';
import { parseChangeJson, validateChange } from './validate-change';

const config = parseConfig({
  tables: [
    {
      name: 'public.sales',
      columns: {
        id: 'bigint',
        qty: 'integer',
        price: 'numeric(10,2)',
        note: 'varchar(5)',
        at: 'timestamptz',
        meta: 'json',
        ver: 'bigint',
      },
      primaryKey: ['id'],
      version: 'ver',
    },
    { name: 'public.clicks', mode: 'append', columns: { url: 'text' } },
  ],
});

function codes(raw: unknown): string[] {
  try {
    validateChange(config, raw);
  } catch (error) {
    return (error as ChangeRejected).issues.map((i) => i.code);
  }
  throw new Error('expected a rejection');
}

describe('validateChange', () => {
  it('canonicalizes an upsert, keeping bigint beyond 2^53 exact', () => {
    const change = validateChange(config, {
      table: 'public.sales',
      op: 'upsert',
      row: {
        id: '9007199254740993',
        qty: 3,
        price: '12.50',
        note: '',
        at: '2026-01-01T00:00:00.123456+02:00',
        meta: { a: [1] },
      },
      version: 7,
    });
    expect(change).toEqual({
      table: 'public.sales',
      op: 'upsert',
      values: {
        id: '9007199254740993',
        qty: '3',
        price: '12.50',
        note: '',
        at: '2026-01-01T00:00:00.123456+02:00',
        meta: '{"a":[1]}',
        ver: '7',
      },
      version: '7',
    });
  });

  it('keeps only the key for deletes', () => {
    expect(
      validateChange(config, { table: 'public.sales', op: 'delete', key: { id: 1 }, version: 2 }).values,
    ).toEqual({ id: '1', ver: '2' });
  });

  it.each([
    ['an unknown table', { table: 'public.nope', op: 'upsert', row: {} }, ['UNKNOWN_TABLE']],
    ['an invalid op', { table: 'public.sales', op: 'merge', row: {} }, ['INVALID_OP']],
    ['a missing key', { table: 'public.sales', op: 'upsert', row: { qty: 1 }, version: 1 }, ['MISSING_KEY']],
    [
      'a wrong type',
      { table: 'public.sales', op: 'upsert', row: { id: 1, qty: 'many' }, version: 1 },
      ['INVALID_VALUE'],
    ],
    [
      'an unknown column',
      { table: 'public.sales', op: 'upsert', row: { id: 1, colour: 'red' }, version: 1 },
      ['UNKNOWN_COLUMN'],
    ],
    [
      'a lossy bigint',
      { table: 'public.sales', op: 'upsert', row: { id: 2 ** 60 }, version: 1 },
      ['INVALID_VALUE'],
    ],
    [
      'too many decimals',
      { table: 'public.sales', op: 'upsert', row: { id: 1, price: '1.234' }, version: 1 },
      ['INVALID_VALUE'],
    ],
    [
      'a varchar longer than its length in characters',
      { table: 'public.sales', op: 'upsert', row: { id: 1, note: 'éééééé' }, version: 1 },
      ['INVALID_VALUE'],
    ],
    ['a missing version', { table: 'public.sales', op: 'upsert', row: { id: 1 } }, ['INVALID_VERSION']],
    ['a delete on an append table', { table: 'public.clicks', op: 'delete', key: {} }, ['INVALID_OP']],
    [
      'a date that is not in the calendar',
      { table: 'public.sales', op: 'upsert', row: { id: 1, at: '2026-02-29T00:00:00Z' }, version: 1 },
      ['INVALID_VALUE'],
    ],
    [
      'a numeric beyond its precision in exponent form',
      { table: 'public.sales', op: 'upsert', row: { id: 1, price: '1e300' }, version: 1 },
      ['INVALID_VALUE'],
    ],
    [
      'json holding NUL',
      { table: 'public.sales', op: 'upsert', row: { id: 1, meta: { a: '\u0000' } }, version: 1 },
      ['INVALID_VALUE'],
    ],
    [
      'a timestamp without zone',
      { table: 'public.sales', op: 'upsert', row: { id: 1, at: '2026-01-01 00:00' }, version: 1 },
      ['INVALID_VALUE'],
    ],
  ])('rejects %s', (_what, raw, expected) => {
    expect(codes(raw)).toEqual(expected);
  });

  it('measures varchar by the rules it is given, and names column, problem and limit', () => {
    const bytes = { ...DEFAULT_VALUE_RULES, warehouse: 'Redshift', varcharLength: 'bytes' as const };
    const raw = { table: 'public.sales', op: 'upsert', row: { id: 1, note: 'ééé' }, version: 1 };
    expect(validateChange(config, raw).values.note).toBe('ééé');
    expect(() => validateChange(config, raw, bytes)).toThrow(
      'row.note is 6 bytes long; varchar(5) on Redshift takes at most 5 bytes',
    );
    expect(() => parseChangeJson(config, JSON.stringify(raw), bytes)).toThrow(ChangeRejected);
  });

  it('reports malformed JSON', () => {
    expect(() => parseChangeJson(config, '{"table":')).toThrow(/not valid JSON/);
  });

  describe('CDC shapes', () => {
    const sale = { table: 'public.sales', op: 'upsert', version: 4 } as const;

    it('canonicalizes a truncate: no values, the event version', () => {
      expect(
        validateChange(config, { table: 'public.sales', op: 'truncate', version: '12', ts: 5, id: 'x' }),
      ).toEqual({ table: 'public.sales', op: 'truncate', values: {}, version: '12', ts: 5, id: 'x' });
    });

    it('nulls unchanged columns, whatever the row says of them, deduplicated in contract order', () => {
      const change = validateChange(config, {
        ...sale,
        row: { id: 1, qty: 2, meta: '__debezium_unavailable_value' },
        unchanged: ['meta', 'note', 'meta'],
      });
      expect(change.values).toEqual({
        id: '1',
        qty: '2',
        price: null,
        note: null,
        at: null,
        meta: null,
        ver: '4',
      });
      expect(change.unchanged).toEqual(['note', 'meta']);
      expect(validateChange(config, { ...sale, row: { id: 1 }, unchanged: [] })).not.toHaveProperty(
        'unchanged',
      );
    });

    it("coerces movedFrom like a delete's key, and drops a move to the same key", () => {
      const moved = validateChange(config, {
        ...sale,
        row: { id: 2 },
        movedFrom: { id: '9007199254740993' },
      });
      expect(moved.movedFrom).toEqual({ id: '9007199254740993' });
      expect(validateChange(config, { ...sale, row: { id: 2 }, movedFrom: { id: '2' } })).not.toHaveProperty(
        'movedFrom',
      );
    });

    it.each([
      ['a truncate without a version', { table: 'public.sales', op: 'truncate' }, ['INVALID_VERSION']],
      ['a truncate of an append table', { table: 'public.clicks', op: 'truncate' }, ['INVALID_OP']],
      [
        'a truncate with a key',
        { table: 'public.sales', op: 'truncate', key: { id: 1 }, version: 1 },
        ['INVALID_OP'],
      ],
      [
        'a truncate with a bad version',
        { table: 'public.sales', op: 'truncate', version: 'x' },
        ['INVALID_VERSION'],
      ],
      ['unchanged naming a key', { ...sale, row: { id: 1 }, unchanged: ['id'] }, ['INVALID_VALUE']],
      ['unchanged naming the version', { ...sale, row: { id: 1 }, unchanged: ['ver'] }, ['INVALID_VERSION']],
      [
        'unchanged naming an unknown column',
        { ...sale, row: { id: 1 }, unchanged: ['nope'] },
        ['UNKNOWN_COLUMN'],
      ],
      [
        'unchanged that is not a list of names',
        { ...sale, row: { id: 1 }, unchanged: 'qty' },
        ['INVALID_VALUE'],
      ],
      [
        'unchanged on a delete',
        { table: 'public.sales', op: 'delete', key: { id: 1 }, unchanged: ['qty'], version: 1 },
        ['INVALID_OP'],
      ],
      [
        'unchanged on an append table',
        { table: 'public.clicks', op: 'upsert', row: {}, unchanged: ['url'] },
        ['INVALID_OP'],
      ],
      [
        'movedFrom naming a non-key column',
        { ...sale, row: { id: 1 }, movedFrom: { id: 2, qty: 1 } },
        ['UNKNOWN_COLUMN'],
      ],
      ['movedFrom without the key', { ...sale, row: { id: 1 }, movedFrom: {} }, ['MISSING_KEY']],
      ['movedFrom with a bad key', { ...sale, row: { id: 1 }, movedFrom: { id: 'one' } }, ['INVALID_VALUE']],
      ['movedFrom that is not an object', { ...sale, row: { id: 1 }, movedFrom: [2] }, ['NOT_AN_OBJECT']],
      [
        'movedFrom on a delete',
        { table: 'public.sales', op: 'delete', key: { id: 1 }, movedFrom: { id: 2 }, version: 1 },
        ['INVALID_OP'],
      ],
    ])('rejects %s', (_what, raw, expected) => {
      expect(codes(raw)).toEqual(expected);
    });
  });

  describe('snapshot markers and rows', () => {
    const run = 'public.sales@2026-12-01T10:00:00.000Z-ab12cd';
    const marker = (op: string, more: object = {}) => ({ table: 'public.sales', op, snapshot: run, ...more });

    it('reads begin (with its total, if any), end with its row count, and cancel: no values, no version', () => {
      expect(validateChange(config, marker('snapshot-begin', { ts: 17 }))).toEqual({
        table: 'public.sales',
        op: 'snapshot-begin',
        values: {},
        snapshot: run,
        ts: 17,
      });
      expect(validateChange(config, marker('snapshot-begin', { total: 1200 }))).toMatchObject({
        total: 1200,
      });
      expect(validateChange(config, marker('snapshot-end', { rows: 0 }))).toEqual({
        table: 'public.sales',
        op: 'snapshot-end',
        values: {},
        snapshot: run,
        rows: 0,
      });
      expect(validateChange(config, marker('snapshot-cancel', { version: 3 }))).toEqual({
        table: 'public.sales',
        op: 'snapshot-cancel',
        values: {},
        snapshot: run,
      });
    });

    it('marks a snapshot row with its run, and leaves other upserts unmarked', () => {
      const row = { table: 'public.sales', op: 'upsert', row: { id: 1 }, version: 2 };
      expect(validateChange(config, { ...row, snapshot: run }).snapshot).toBe(run);
      expect(validateChange(config, row)).not.toHaveProperty('snapshot');
    });

    it.each([
      ['a marker without a run', { table: 'public.sales', op: 'snapshot-begin' }, ['INVALID_VALUE']],
      ['an empty run', marker('snapshot-cancel', { snapshot: '' }), ['INVALID_VALUE']],
      ['a run with a quote', marker('snapshot-cancel', { snapshot: "x'; DROP TABLE y" }), ['INVALID_VALUE']],
      [
        'a run of 201 characters',
        marker('snapshot-cancel', { snapshot: 'r'.repeat(201) }),
        ['INVALID_VALUE'],
      ],
      ['a run that is not a string', marker('snapshot-cancel', { snapshot: 7 }), ['INVALID_VALUE']],
      ['an end without its rows', marker('snapshot-end'), ['INVALID_VALUE']],
      ['an end with negative rows', marker('snapshot-end', { rows: -1 }), ['INVALID_VALUE']],
      ['an end with fractional rows', marker('snapshot-end', { rows: 1.5 }), ['INVALID_VALUE']],
      ['a begin with a total as text', marker('snapshot-begin', { total: '9' }), ['INVALID_VALUE']],
      ['a marker with a row', marker('snapshot-end', { rows: 1, row: { id: 1 } }), ['INVALID_OP']],
      ['a marker with a key', marker('snapshot-cancel', { key: { id: 1 } }), ['INVALID_OP']],
      [
        'a marker of an append table',
        { ...marker('snapshot-begin'), table: 'public.clicks' },
        ['INVALID_OP'],
      ],
      [
        'a snapshot row of an append table',
        { table: 'public.clicks', op: 'upsert', row: { url: 'u' }, snapshot: run },
        ['INVALID_OP'],
      ],
      [
        'a delete marked with a run',
        { table: 'public.sales', op: 'delete', key: { id: 1 }, version: 1, snapshot: run },
        ['INVALID_OP'],
      ],
      [
        'a snapshot row with a bad run',
        { table: 'public.sales', op: 'upsert', row: { id: 1 }, version: 1, snapshot: 'a b' },
        ['INVALID_VALUE'],
      ],
    ])('rejects %s', (_what, raw, expected) => {
      expect(codes(raw)).toEqual(expected);
    });
  });
});

import { parseConfig } from '@app/config';
import { validateChange } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import type { BufferedChange } from './buffered-change';
import { reduceBatch } from './reduce-batch';

const config = parseConfig({
  tables: [
    {
      name: 'public.v',
      columns: { id: 'bigint', val: 'text', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    },
    { name: 'public.u', columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] },
    { name: 'public.a', mode: 'append', columns: { val: 'text' } },
    {
      name: 'public.k',
      columns: {
        amount: 'numeric(12,2)',
        at: 'timestamp',
        atz: 'timestamptz',
        val: 'text',
        ver: 'numeric(38,6)',
      },
      primaryKey: ['amount', 'at', 'atz'],
      version: 'ver',
    },
    {
      name: 'public.t',
      columns: { id: 'bigint', val: 'text', ver: 'timestamptz' },
      primaryKey: ['id'],
      version: 'ver',
    },
    {
      name: 'public.cdc',
      columns: { id: 'numeric(10,2)', a: 'text', b: 'text', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    },
    { name: 'public.cdcu', columns: { id: 'bigint', a: 'text', b: 'text' }, primaryKey: ['id'] },
  ],
});
const [versioned, unversioned, append, spelled, timed, cdc, cdcUnversioned] = config.tables as [
  never,
  never,
  never,
  never,
  never,
  never,
  never,
];

let offset = 0;
const change = (raw: object): BufferedChange => ({
  offset: offset++,
  change: validateChange(config, raw),
  bytes: 1,
  receivedAt: 0,
  raw: { key: null, value: null },
});
const upsert = (table: string, row: object, version?: unknown) =>
  change({ table, op: 'upsert', row, ...(version === undefined ? {} : { version }) });
const remove = (table: string, key: object, version?: unknown) =>
  change({ table, op: 'delete', key, ...(version === undefined ? {} : { version }) });
const truncate = (table: string, version?: unknown) =>
  change({ table, op: 'truncate', ...(version === undefined ? {} : { version }) });
/** An upsert of public.cdc (or, without a version, public.cdcu) whose `unchanged` columns the target keeps. */
const partial = (row: object, unchanged: string[], version?: number, movedFrom?: object) =>
  change({
    table: version === undefined ? 'public.cdcu' : 'public.cdc',
    op: 'upsert',
    row,
    unchanged,
    ...(version === undefined ? {} : { version }),
    ...(movedFrom ? { movedFrom } : {}),
  });
const kept = (columns: string, from: (string | null)[] = [null]) => ({
  columns: [...columns].map((c) => c === '1'),
  from,
});

describe('reduceBatch', () => {
  it('keeps the highest version per key, whatever the lane order', () => {
    const rows = reduceBatch(versioned, [
      upsert('public.v', { id: 1, val: 'new' }, 5),
      upsert('public.v', { id: 1, val: 'old' }, 3),
      remove('public.v', { id: 2 }, 9),
      upsert('public.v', { id: 2, val: 'resurrected?' }, 8),
    ]);
    expect(rows).toEqual([
      { op: 'u', values: ['1', 'new', '5'] },
      { op: 'd', values: ['2', null, '9'] },
    ]);
  });

  it('lets the later change win a version tie', () => {
    const rows = reduceBatch(versioned, [
      upsert('public.v', { id: 1, val: 'first' }, 5),
      upsert('public.v', { id: 1, val: 'second' }, 5),
    ]);
    expect(rows).toEqual([{ op: 'u', values: ['1', 'second', '5'] }]);
  });

  it('keeps the last change in lane order without a version column', () => {
    const rows = reduceBatch(unversioned, [
      upsert('public.u', { id: 1, val: 'a' }),
      remove('public.u', { id: 1 }),
      upsert('public.u', { id: 1, val: 'b' }),
      upsert('public.u', { id: 2, val: 'c' }),
      remove('public.u', { id: 2 }),
    ]);
    expect(rows).toEqual([
      { op: 'u', values: ['1', 'b'] },
      { op: 'd', values: ['2', null] },
    ]);
  });

  it('reduces every spelling of one SQL key to one row, staging the winner as it was written', () => {
    const rows = reduceBatch(spelled, [
      upsert('public.k', { amount: '1', at: '2026-01-01T12:00', atz: '2026-01-01T12:00:00Z', val: 'a' }, '1'),
      upsert(
        'public.k',
        { amount: '1.0', at: '2026-01-01 12:00:00', atz: '2026-01-01T12:00:00+00:00', val: 'b' },
        '2',
      ),
      upsert(
        'public.k',
        { amount: '+1e0', at: '2026-01-01T12:00:00.000', atz: '2026-01-01T17:30:00+0530', val: 'c' },
        '3.000000',
      ),
      remove(
        'public.k',
        { amount: '1.00', at: '2026-01-01 12:00:00.0', atz: '2026-01-01T14:00:00+02' },
        '2.5',
      ),
    ]);
    expect(rows).toEqual([
      { op: 'u', values: ['+1e0', '2026-01-01T12:00:00.000', '2026-01-01T17:30:00+0530', 'c', '3.000000'] },
    ]);
  });

  it('compares numeric versions beyond 2^53 exactly', () => {
    const rows = reduceBatch(spelled, [
      upsert(
        'public.k',
        { amount: '1', at: '2026-01-01T12:00', atz: '2026-01-01T12:00Z', val: 'higher' },
        '9007199254740993',
      ),
      upsert(
        'public.k',
        { amount: '1', at: '2026-01-01T12:00', atz: '2026-01-01T12:00Z', val: 'lower' },
        '9007199254740992.999999',
      ),
    ]);
    expect(rows.map((r) => r.values[3])).toEqual(['higher']);
  });

  it('compares timestamptz versions to the microsecond, whatever the offset form', () => {
    const rows = reduceBatch(timed, [
      upsert('public.t', { id: 1, val: 'earlier' }, '2026-01-01T00:00:00.100Z'),
      upsert('public.t', { id: 1, val: 'later' }, '2026-01-01T05:00:00.900+05'),
      upsert('public.t', { id: 2, val: 'tie, first' }, '2026-01-01T00:00:00Z'),
      upsert('public.t', { id: 2, val: 'tie, last' }, '2026-01-01T05:30:00+0530'),
    ]);
    expect(rows.map((r) => r.values[1])).toEqual(['later', 'tie, last']);
  });

  it('keeps every change of an append table', () => {
    const rows = reduceBatch(append, [upsert('public.a', { val: 'x' }), upsert('public.a', { val: 'x' })]);
    expect(rows).toHaveLength(2);
  });

  describe('truncates', () => {
    it('stage first; an upsert before becomes a delete at the truncate version, a delete stays', () => {
      const rows = reduceBatch(cdc, [
        upsert('public.cdc', { id: 1, a: 'gone' }, 3),
        remove('public.cdc', { id: 2 }, 12),
        upsert('public.cdc', { id: 3, a: 'gone too' }, 4),
        truncate('public.cdc', 10),
        upsert('public.cdc', { id: 3, a: 'after' }, 11),
        upsert('public.cdc', { id: 4, a: 'stale' }, 2),
      ]);
      expect(rows).toEqual([
        { op: 't', values: [null, null, null, '10'] },
        { op: 'd', values: ['1', null, null, '10'] },
        { op: 'd', values: ['2', null, null, '12'] },
        { op: 'u', values: ['3', 'after', null, '11'] },
        { op: 'u', values: ['4', 'stale', null, '2'] },
      ]);
    });

    it('keep a stale change to a key the truncate removed from the batch out', () => {
      const rows = reduceBatch(cdc, [
        upsert('public.cdc', { id: 1, a: 'before' }, 5),
        truncate('public.cdc', 10),
        upsert('public.cdc', { id: 1, a: 'stale' }, 7),
      ]);
      expect(rows).toEqual([
        { op: 't', values: [null, null, null, '10'] },
        { op: 'd', values: ['1', null, null, '10'] },
      ]);
    });

    it('drop everything before them without a version column, and the last one wins', () => {
      const rows = reduceBatch(cdcUnversioned, [
        upsert('public.cdcu', { id: 1, a: 'x' }),
        truncate('public.cdcu'),
        upsert('public.cdcu', { id: 2, a: 'y' }),
        remove('public.cdcu', { id: 3 }),
        truncate('public.cdcu'),
        upsert('public.cdcu', { id: 4, a: 'z' }),
      ]);
      expect(rows).toEqual([
        { op: 't', values: [null, null, null] },
        { op: 'u', values: ['4', 'z', null] },
      ]);
    });
  });

  describe('unchanged columns', () => {
    it('are kept from the target when the batch has nothing earlier for the key', () => {
      expect(reduceBatch(cdc, [partial({ id: 1, a: 'new', b: 'ignored' }, ['b'], 2)])).toEqual([
        { op: 'u', values: ['1', 'new', null, '2'], keep: kept('0010') },
      ]);
    });

    it('take the value of the upsert they replace in the batch', () => {
      const rows = reduceBatch(cdc, [
        upsert('public.cdc', { id: 1, a: 'a1', b: 'b1' }, 1),
        partial({ id: 1, a: 'a2' }, ['b'], 2),
      ]);
      expect(rows).toEqual([{ op: 'u', values: ['1', 'a2', 'b1', '2'] }]);
    });

    it('are null after a delete in the batch, or after a truncate', () => {
      expect(
        reduceBatch(cdc, [remove('public.cdc', { id: 1 }, 1), partial({ id: 1, a: 'back' }, ['b'], 2)]),
      ).toEqual([{ op: 'u', values: ['1', 'back', null, '2'] }]);
      expect(
        reduceBatch(cdcUnversioned, [truncate('public.cdcu'), partial({ id: 1, a: 'back' }, ['b'])]),
      ).toEqual([
        { op: 't', values: [null, null, null] },
        { op: 'u', values: ['1', 'back', null] },
      ]);
    });

    it('change nothing when their upsert loses to the winner', () => {
      const rows = reduceBatch(cdc, [
        upsert('public.cdc', { id: 1, a: 'a9', b: 'b9' }, 9),
        partial({ id: 1, a: 'older' }, ['b'], 3),
      ]);
      expect(rows).toEqual([{ op: 'u', values: ['1', 'a9', 'b9', '9'] }]);
    });

    it('still kept from the target by the upsert replaced are kept by its successor', () => {
      const rows = reduceBatch(cdc, [
        partial({ id: 1, b: 'b1' }, ['a'], 1),
        partial({ id: '1.0', a: 'a2' }, ['a', 'b'], 2),
      ]);
      expect(rows).toEqual([{ op: 'u', values: ['1.0', null, 'b1', '2'], keep: kept('0100') }]);
    });
  });

  describe('moves', () => {
    it('delete the old key at their version and keep from its target row', () => {
      const rows = reduceBatch(cdc, [partial({ id: 2, a: 'a' }, ['b'], 5, { id: 1 })]);
      expect(rows).toEqual([
        { op: 'd', values: ['1', null, null, '5'] },
        { op: 'u', values: ['2', 'a', null, '5'], keep: kept('0010', ['1']) },
      ]);
    });

    it("take the old key's values from an upsert of it in the batch", () => {
      const rows = reduceBatch(cdc, [
        upsert('public.cdc', { id: 1, a: 'a1', b: 'b1' }, 1),
        partial({ id: 2, a: 'a2' }, ['b'], 2, { id: '1.00' }),
      ]);
      expect(rows).toEqual([
        { op: 'd', values: ['1.00', null, null, '2'] },
        { op: 'u', values: ['2', 'a2', 'b1', '2'] },
      ]);
    });

    it("leave kept columns null after the old key's delete, and lose the old key to a higher version", () => {
      const rows = reduceBatch(cdc, [
        remove('public.cdc', { id: 1 }, 1),
        partial({ id: 2, a: 'a2' }, ['b'], 2, { id: 1 }),
        upsert('public.cdc', { id: 3, a: 'a3', b: 'b3' }, 9),
        partial({ id: 4, a: 'a4' }, ['b'], 4, { id: 3 }),
      ]);
      expect(rows).toEqual([
        { op: 'd', values: ['1', null, null, '2'] },
        { op: 'u', values: ['2', 'a2', null, '2'] },
        { op: 'u', values: ['3', 'a3', 'b3', '9'] },
        { op: 'u', values: ['4', 'a4', 'b3', '4'] },
      ]);
    });

    it('chain: every hop keeps from the first key, and a key moved back keeps from its own row', () => {
      const rows = reduceBatch(cdc, [
        partial({ id: 2, a: 'hop 1' }, ['b'], 1, { id: 1 }),
        partial({ id: 3, a: 'hop 2' }, ['b'], 2, { id: 2 }),
        partial({ id: 1, a: 'home' }, ['b'], 3, { id: 3 }),
      ]);
      expect(rows).toEqual([
        { op: 'u', values: ['1', 'home', null, '3'], keep: kept('0010') },
        { op: 'd', values: ['2', null, null, '2'] },
        { op: 'd', values: ['3', null, null, '3'] },
      ]);
    });

    it('keep nothing after a truncate, and a partial upsert after a move keeps from the old key', () => {
      expect(
        reduceBatch(cdc, [truncate('public.cdc', 1), partial({ id: 2, a: 'a' }, ['b'], 2, { id: 1 })]),
      ).toEqual([
        { op: 't', values: [null, null, null, '1'] },
        { op: 'd', values: ['1', null, null, '2'] },
        { op: 'u', values: ['2', 'a', null, '2'] },
      ]);
      expect(
        reduceBatch(cdc, [
          partial({ id: 2, a: 'moved' }, ['b'], 1, { id: 1 }),
          partial({ id: 2, a: 'again' }, ['b'], 2),
        ]),
      ).toEqual([
        { op: 'd', values: ['1', null, null, '1'] },
        { op: 'u', values: ['2', 'again', null, '2'], keep: kept('0010', ['1']) },
      ]);
    });

    it('without a version column: the later change in lane order wins the old key', () => {
      const rows = reduceBatch(cdcUnversioned, [
        partial({ id: 2, a: 'moved' }, ['b'], undefined, { id: 1 }),
        upsert('public.cdcu', { id: 1, a: 'reused', b: 'b' }),
      ]);
      expect(rows).toEqual([
        { op: 'u', values: ['1', 'reused', 'b'] },
        { op: 'u', values: ['2', 'moved', null], keep: kept('001', ['1']) },
      ]);
    });
  });
});

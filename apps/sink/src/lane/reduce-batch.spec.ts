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
  ],
});
const [versioned, unversioned, append, spelled, timed] = config.tables as [never, never, never, never, never];

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
});

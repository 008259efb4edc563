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
  ],
});
const [versioned, unversioned, append] = config.tables as [never, never, never];

let offset = 0;
const change = (raw: object): BufferedChange => ({
  offset: offset++,
  change: validateChange(config, raw),
  bytes: 1,
  receivedAt: 0,
});

describe('reduceBatch', () => {
  it('keeps the highest version per key, whatever the lane order', () => {
    const rows = reduceBatch(versioned, [
      change({ table: 'public.v', op: 'upsert', row: { id: 1, val: 'new' }, version: 5 }),
      change({ table: 'public.v', op: 'upsert', row: { id: 1, val: 'old' }, version: 3 }),
      change({ table: 'public.v', op: 'delete', key: { id: 2 }, version: 9 }),
      change({ table: 'public.v', op: 'upsert', row: { id: 2, val: 'resurrected?' }, version: 8 }),
    ]);
    expect(rows).toEqual([
      { op: 'u', values: ['1', 'new', '5'] },
      { op: 'd', values: ['2', null, '9'] },
    ]);
  });

  it('lets the later change win a version tie', () => {
    const rows = reduceBatch(versioned, [
      change({ table: 'public.v', op: 'upsert', row: { id: 1, val: 'first' }, version: 5 }),
      change({ table: 'public.v', op: 'upsert', row: { id: 1, val: 'second' }, version: 5 }),
    ]);
    expect(rows).toEqual([{ op: 'u', values: ['1', 'second', '5'] }]);
  });

  it('keeps the last change in lane order without a version column', () => {
    const rows = reduceBatch(unversioned, [
      change({ table: 'public.u', op: 'upsert', row: { id: 1, val: 'a' } }),
      change({ table: 'public.u', op: 'delete', key: { id: 1 } }),
      change({ table: 'public.u', op: 'upsert', row: { id: 1, val: 'b' } }),
      change({ table: 'public.u', op: 'upsert', row: { id: 2, val: 'c' } }),
      change({ table: 'public.u', op: 'delete', key: { id: 2 } }),
    ]);
    expect(rows).toEqual([
      { op: 'u', values: ['1', 'b'] },
      { op: 'd', values: ['2', null] },
    ]);
  });

  it('keeps every change of an append table', () => {
    const rows = reduceBatch(append, [
      change({ table: 'public.a', op: 'upsert', row: { val: 'x' } }),
      change({ table: 'public.a', op: 'upsert', row: { val: 'x' } }),
    ]);
    expect(rows).toHaveLength(2);
  });
});

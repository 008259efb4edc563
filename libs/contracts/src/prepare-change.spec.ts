import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { ChangeRejected } from './error-codes';
import { ingestKey, prepareChange } from './prepare-change';
import { parseChangeJson } from './validate-change';

const config = parseConfig({
  tables: [
    {
      name: 'public.docs',
      columns: { id: 'bigint', body: 'text', title: 'text', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    },
  ],
});

/** What the router writes on a lane, as the sink reads it back. */
function routed(raw: object) {
  const prepared = prepareChange(config, raw);
  if (prepared.kind !== 'route') throw new Error('expected a routed change');
  return { prepared, event: prepared.event, read: parseChangeJson(config, JSON.stringify(prepared.event)) };
}

describe('prepareChange: the CDC shapes on the lanes', () => {
  it('carries unchanged and movedFrom, as the producer wrote movedFrom', () => {
    const { prepared, event, read } = routed({
      table: 'public.docs',
      op: 'upsert',
      row: { id: 2, title: 't' },
      unchanged: ['body', 'body'],
      movedFrom: { id: '1' },
      version: 7,
      extra: 'dropped',
    });
    expect(event).toEqual({
      table: 'public.docs',
      op: 'upsert',
      row: { id: 2, title: 't' },
      unchanged: ['body'],
      movedFrom: { id: '1' },
      version: 7,
    });
    expect(read).toEqual(prepared.change);
    expect(read).toMatchObject({ unchanged: ['body'], movedFrom: { id: '1' } });
  });

  it('writes a truncate with its version, keyed on the ingest topic by its table alone', () => {
    const { prepared, event, read } = routed({ table: 'public.docs', op: 'truncate', version: '9', ts: 3 });
    expect(event).toEqual({ table: 'public.docs', op: 'truncate', version: '9', ts: 3 });
    expect(read).toEqual(prepared.change);
    expect(ingestKey(config, prepared)).toBe('public.docs');
  });

  it('leaves the shapes out of an upsert that has none', () => {
    const { event } = routed({
      table: 'public.docs',
      op: 'upsert',
      row: { id: 1 },
      unchanged: [],
      version: 1,
    });
    expect(event).toEqual({ table: 'public.docs', op: 'upsert', row: { id: 1 }, version: 1 });
  });
});

describe('prepareChange: snapshot events', () => {
  const run = 'public.docs@20261201T100000Z-ab12cd';

  it.each([
    ['a begin marker', { table: 'public.docs', op: 'snapshot-begin', snapshot: run, ts: 1 }, 'op'],
    ['an end marker', { table: 'public.docs', op: 'snapshot-end', snapshot: run, rows: 3 }, 'op'],
    ['a cancel marker', { table: 'public.docs', op: 'snapshot-cancel', snapshot: run }, 'op'],
    [
      'a snapshot row',
      { table: 'public.docs', op: 'upsert', row: { id: 1 }, version: 1, snapshot: run },
      'snapshot',
    ],
  ])(
    'refuses %s from producers: only `tablelane snapshot` writes them, onto the lane',
    (_what, raw, field) => {
      let refused: unknown;
      try {
        prepareChange(config, raw);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(ChangeRejected);
      expect((refused as ChangeRejected).issues).toEqual([
        expect.objectContaining({
          code: 'INVALID_OP',
          field,
          message: expect.stringContaining('tablelane snapshot'),
        }),
      ]);
    },
  );

  it('keeps the lane form a snapshot row is built from: the upsert, which the sink reads back with its run', () => {
    const prepared = prepareChange(config, {
      table: 'public.docs',
      op: 'upsert',
      row: { id: 1 },
      version: 4,
    });
    if (prepared.kind !== 'route') throw new Error('expected a routed change');
    const read = parseChangeJson(config, JSON.stringify({ ...prepared.event, snapshot: run }));
    expect(read).toEqual({ ...prepared.change, snapshot: run });
  });
});

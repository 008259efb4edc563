import { parseConfig } from '@app/config';
import { validateChange } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import type { BufferedChange } from './buffered-change';
import { reduceBatch } from './reduce-batch';
import { batchLength, snapshotStep, TableSnapshots } from './snapshot-runs';
import { TableLane } from './table-lane';

const config = parseConfig({
  tables: [
    {
      name: 'public.s',
      columns: { id: 'bigint', val: 'text', ver: 'bigint' },
      primaryKey: ['id'],
      version: 'ver',
    },
  ],
});
const [contract] = config.tables;
const A = 'public.s@20261201T100000Z-aaaaaa';
const B = 'public.s@20261202T100000Z-bbbbbb';

let offset = 0;
const change = (raw: object): BufferedChange => ({
  offset: offset++,
  change: validateChange(config, { table: 'public.s', ...raw }),
  bytes: 1,
  receivedAt: 0,
  raw: { key: null, value: null },
});
const begin = (run: string, more: object = {}) => change({ op: 'snapshot-begin', snapshot: run, ...more });
const end = (run: string, rows: number) => change({ op: 'snapshot-end', snapshot: run, rows });
const cancel = (run: string) => change({ op: 'snapshot-cancel', snapshot: run });
const row = (id: number, run?: string) =>
  change({ op: 'upsert', row: { id, val: `v${id}` }, version: 1, ...(run && { snapshot: run }) });
const live = (id: number) => change({ op: 'upsert', row: { id, val: 'live' }, version: 9 });

/** A lane's runs with `open` open, `rowsSeen` of its rows merged already. */
function runs(open?: string, rowsSeen = 0): TableSnapshots {
  const snapshots = new TableSnapshots();
  snapshots.restore(
    open
      ? [
          {
            run: open,
            state: 'open',
            begunAt: new Date(1000),
            endedAt: null,
            rowsSeen,
            rowsExpected: null,
            total: null,
          },
        ]
      : [],
    5000,
  );
  return snapshots;
}

describe('batchLength', () => {
  it('ends a batch with an end or cancel marker and starts one with each begin marker', () => {
    const buffer = [live(1), live(2), begin(A), row(3, A), end(A, 1), live(4)];
    expect(batchLength(buffer)).toBe(2);
    expect(batchLength(buffer.slice(2))).toBe(3);
    expect(batchLength(buffer.slice(5))).toBe(1);
    expect(batchLength([row(5, A), cancel(A), live(6)])).toBe(2);
    expect(batchLength([])).toBe(0);
  });

  it('is how a table lane takes its batch: the rest waits for the next one', () => {
    const table = new TableLane(contract!, { lastOffset: -1, epoch: 1 });
    for (const c of [live(1), begin(A), row(2, A), end(A, 1)]) table.add(c);
    expect(table.take()).toMatchObject({ whole: false, changes: [{ change: { op: 'upsert' } }] });
    expect(table.buffer).toHaveLength(3);
    expect(table.bytes).toBe(3);
    table.committed(table.inFlight[0]!.offset);
    expect(table.take()).toMatchObject({ whole: true });
  });
});

describe('snapshotStep', () => {
  it('marks every key of a batch the run is open for, and counts only the run rows', () => {
    const step = snapshotStep([row(1, A), live(2), row(3, A), row(4, B)], runs(A, 10), 6000);
    expect(step.shape).toEqual({ run: A, markSeen: true, begin: false, end: false, cancel: false, rows: 2 });
    expect(step.open).toMatchObject({ run: A, rowsSeen: 12, rowsAtFollow: 10, followedSince: 5000 });
    expect(step.ended).toEqual([]);
    // Rows of a run that is not open are merged as plain upserts, and said.
    expect(step.events).toEqual([{ kind: 'stray rows', run: B, rows: 1, open: A }]);
  });

  it('needs nothing outside a run', () => {
    expect(snapshotStep([live(1), live(2)], runs())).toEqual({ ended: [], events: [] });
  });

  it('opens a run at its begin, at the marker time, with its total; one still open is abandoned', () => {
    const step = snapshotStep([begin(B, { ts: 7000, total: 3 }), row(1, B), live(2)], runs(A, 4), 8000);
    expect(step.shape).toEqual({
      run: B,
      markSeen: true,
      begin: true,
      end: false,
      cancel: false,
      rows: 1,
      begunAt: new Date(7000),
      total: 3,
      abandoned: A,
    });
    expect(step.open).toEqual({
      run: B,
      rowsSeen: 1,
      total: 3,
      begunAt: 7000,
      followedSince: 8000,
      rowsAtFollow: 0,
    });
    expect(step.ended).toEqual([A]);
    expect(step.events).toEqual([
      { kind: 'abandoned', run: A, by: B, rowsSeen: 4 },
      { kind: 'begun', run: B, total: 3 },
    ]);
  });

  it('ends the run done when the lane merged every row it wrote, incomplete when fewer', () => {
    const done = snapshotStep([row(1, A), row(2, A), end(A, 5)], runs(A, 3));
    expect(done.shape).toMatchObject({ run: A, markSeen: true, end: true, rows: 2, expected: 5 });
    expect(done.shape).not.toHaveProperty('incomplete');
    expect(done.open).toBeUndefined();
    expect(done.ended).toEqual([A]);
    expect(done.events).toEqual([{ kind: 'done', run: A, rowsSeen: 5, expected: 5 }]);

    // Two of its rows were refused (dead-lettered): deleting unseen keys would delete them.
    const short = snapshotStep([row(1, A), end(A, 5)], runs(A, 2));
    expect(short.shape).toMatchObject({ end: true, expected: 5, incomplete: true });
    expect(short.events).toEqual([{ kind: 'incomplete', run: A, rowsSeen: 3, expected: 5 }]);
  });

  it('cancels without marking: nothing of the batch is kept for a refresh that will not come', () => {
    const step = snapshotStep([row(1, A), live(2), cancel(A)], runs(A));
    expect(step.shape).toEqual({ run: A, markSeen: false, begin: false, end: false, cancel: true, rows: 1 });
    expect(step.open).toBeUndefined();
    expect(step.events).toEqual([{ kind: 'cancelled', run: A, rowsSeen: 1 }]);
  });

  it('begins and ends a run within one batch', () => {
    const step = snapshotStep([begin(A), row(1, A), end(A, 1)], runs());
    expect(step.shape).toMatchObject({
      run: A,
      begin: true,
      end: true,
      markSeen: true,
      rows: 1,
      expected: 1,
    });
    expect(step.open).toBeUndefined();
  });

  it('ignores markers of a run that is not open, and a second begin of one open or ended', () => {
    expect(snapshotStep([live(1), end(B, 1)], runs(A)).events).toEqual([
      { kind: 'ignored', run: B, op: 'snapshot-end', open: A },
    ]);
    expect(snapshotStep([cancel(B)], runs()).shape).toBeUndefined();
    const again = snapshotStep([begin(A), row(1, A)], runs(A, 2));
    expect(again.shape).toMatchObject({ run: A, begin: false, rows: 1 });
    expect(again.events).toEqual([{ kind: 'ignored', run: A, op: 'snapshot-begin', open: A }]);
    const ended = runs();
    ended.apply(snapshotStep([begin(B), end(B, 0)], ended));
    expect(snapshotStep([begin(B), row(1, B)], ended)).toMatchObject({
      events: [
        { kind: 'ignored', run: B, op: 'snapshot-begin', open: null },
        { kind: 'stray rows', run: B, rows: 1, open: null },
      ],
    });
  });

  it('refuses a batch that was not cut at its markers', () => {
    expect(() => snapshotStep([live(1), begin(A)], runs())).toThrow(/first change/);
    expect(() => snapshotStep([end(A, 0), live(1)], runs(A))).toThrow(/last change/);
  });

  it('stages nothing for the markers themselves', () => {
    expect(reduceBatch(contract!, [begin(A), row(1, A), end(A, 1)])).toEqual([
      { op: 'u', values: ['1', 'v1', '1'] },
    ]);
  });
});

describe('TableSnapshots', () => {
  it('restores the open run and the ended ones, and reports rows/s and the ETA of this process', () => {
    const snapshots = new TableSnapshots();
    expect(snapshots.stale).toBe(true);
    snapshots.restore(
      [
        {
          run: A,
          state: 'open',
          begunAt: new Date(1000),
          endedAt: null,
          rowsSeen: 40,
          rowsExpected: null,
          total: 140,
        },
        {
          run: B,
          state: 'done',
          begunAt: new Date(0),
          endedAt: new Date(900),
          rowsSeen: 5,
          rowsExpected: 5,
          total: null,
        },
      ],
      10_000,
    );
    expect(snapshots.stale).toBe(false);
    expect(snapshots.open).toEqual({
      run: A,
      rowsSeen: 40,
      total: 140,
      begunAt: 1000,
      followedSince: 10_000,
      rowsAtFollow: 40,
    });
    expect([...snapshots.ended]).toEqual([B]);
    snapshots.open!.rowsSeen = 90;
    // 50 rows in 5 s: 10 rows/s, 50 rows to go.
    expect(snapshots.progress(15_000)).toEqual({ rowsPerSecond: 10, etaSeconds: 5 });
    snapshots.open!.total = undefined;
    expect(snapshots.progress(15_000)).toEqual({ rowsPerSecond: 10, etaSeconds: null });
  });
});

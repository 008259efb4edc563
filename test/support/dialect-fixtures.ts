import { parseConfig, type TableContract } from '@app/config';

/** Columns a dialect's spec adds to the common ones, to cover the types it maps its own way. */
export interface ExtraColumns {
  /** Go before `public.sales`'s version column. */
  sales?: Record<string, string>;
  users?: Record<string, string>;
}

/**
 * The contracts the dialects' golden specs build their SQL from: a versioned merge table with
 * a two-column key (`public.sales`), an unversioned one with JSON (`app.users`), an append
 * table (`app.clicks`), and `ambiguous` (`sales__eu.orders`), whose plain `<schema>__<table>`
 * state names would collide with another table's, so they carry a hash.
 */
export function dialectTables(
  extra: ExtraColumns = {},
): Record<'sales' | 'users' | 'clicks' | 'ambiguous', TableContract> {
  const [sales, users, clicks, ambiguous] = parseConfig({
    tables: [
      {
        name: 'public.sales',
        columns: {
          salesid: 'bigint',
          listid: 'integer',
          qty: 'integer',
          price: 'numeric(8,2)',
          note: 'varchar(20)',
          ...extra.sales,
          ver: 'bigint',
        },
        primaryKey: ['salesid', 'listid'],
        version: 'ver',
      },
      {
        name: 'app.users',
        columns: { id: 'bigint', email: 'text', meta: 'json', ...extra.users },
        primaryKey: ['id'],
      },
      { name: 'app.clicks', mode: 'append', columns: { at: 'timestamptz', url: 'text' } },
      {
        name: 'sales__eu.orders',
        columns: { id: 'bigint', ver: 'bigint' },
        primaryKey: ['id'],
        version: 'ver',
      },
    ],
  }).tables as [TableContract, TableContract, TableContract, TableContract];
  return { sales, users, clicks, ambiguous };
}

/** The state schema, and the lane (topic and partition) the checkpoint statements are built for. */
export const STATE = 'tablelane';
export const LANE = { topic: 'tablelane.changes', partition: 3 } as const;

/** A compare-and-set that moves the lane's checkpoint forward from 99 to 180 at epoch 4. */
export const ADVANCE = { ...LANE, epoch: 4, previousOffset: 99, nextOffset: 180 };

/** The CDC shapes a batch can hold (staging-shape.ts), for the golden statements of each. */
export const SHAPES = {
  truncated: { truncate: true, partial: false },
  partial: { truncate: false, partial: true },
  both: { truncate: true, partial: true },
} as const;

/** A snapshot run of `public.sales`, and the time the statements of its batches are built at. */
export const RUN = 'public.sales@20261201T100000Z-ab12cd';
export const RUN_AT = new Date('2026-12-01T10:05:00.000Z');

/** A batch's part in a snapshot run (SnapshotShape), for the golden statements of each. */
export const SNAPSHOT_SHAPES = {
  /** Rows of the open run and live changes, neither begun nor ended here. */
  running: { run: RUN, markSeen: true, begin: false, end: false, cancel: false, rows: 500 },
  /** A batch of live changes only while the run is open. */
  live: { run: RUN, markSeen: true, begin: false, end: false, cancel: false, rows: 0 },
  /** The run's begin, abandoning an older run still open. */
  begun: {
    run: RUN,
    markSeen: true,
    begin: true,
    end: false,
    cancel: false,
    rows: 100,
    begunAt: new Date('2026-12-01T10:00:00.000Z'),
    total: 1200,
    abandoned: 'public.sales@20261130T100000Z-0a0b0c',
  },
  ended: { run: RUN, markSeen: true, begin: false, end: true, cancel: false, rows: 200, expected: 1200 },
  incomplete: {
    run: RUN,
    markSeen: true,
    begin: false,
    end: true,
    cancel: false,
    rows: 199,
    expected: 1200,
    incomplete: true,
  },
  cancelled: { run: RUN, markSeen: false, begin: false, end: false, cancel: true, rows: 3 },
} as const;

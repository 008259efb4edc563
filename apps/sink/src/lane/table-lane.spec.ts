import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import type { BufferedChange } from './buffered-change';
import { TableLane } from './table-lane';

const [contract] = parseConfig({
  tables: [
    { name: 'public.t', columns: { id: 'bigint' }, primaryKey: ['id'], flush: { maxRows: 2, maxAgeMs: 500 } },
  ],
}).tables;
const at = (offset: number, receivedAt = 1000): BufferedChange => ({
  offset,
  change: { table: 'public.t', op: 'upsert', values: { id: String(offset) } },
  bytes: 10,
  receivedAt,
  raw: { key: null, value: null },
});

describe('TableLane', () => {
  it('is due on its row or age threshold, and not while a flush runs', () => {
    const table = new TableLane(contract!, { lastOffset: -1, epoch: 1 });
    table.add(at(0));
    expect(table.isDue(1200)).toBe(false);
    expect(table.isDue(1500)).toBe(true);
    table.add(at(1, 1200));
    expect(table.isDue(1201)).toBe(true);
    table.flushing = true;
    expect(table.isDue(5000)).toBe(false);
  });

  it('keeps a failed batch in front of newer changes and waits out the backoff', () => {
    const table = new TableLane(contract!, { lastOffset: -1, epoch: 1 });
    table.add(at(0));
    table.flushing = true;
    table.take();
    table.add(at(1));
    table.failed('55P03', 'lock timeout', 2000, 10_000);
    expect(table.buffer.map((c) => c.offset)).toEqual([0, 1]);
    expect(table.bytes).toBe(20);
    expect(table.isDue(11_000)).toBe(false);
    expect(table.isDue(12_000)).toBe(true);
    table.take();
    table.failed('55P03', 'lock timeout', 2000, 12_000);
    expect(table.failure).toMatchObject({ since: 10_000, attempts: 2 });
  });

  it('moves its checkpoint on commit and forgets the failure', () => {
    const table = new TableLane(contract!, { lastOffset: -1, epoch: 3 });
    table.add(at(4));
    table.take();
    table.failed('X', 'x', 0);
    table.take();
    table.committed(7);
    expect(table.claim).toEqual({ lastOffset: 7, epoch: 3 });
    expect(table.failure).toBeUndefined();
    expect(table.pendingFrom).toBeUndefined();
  });

  it('drops changes a checkpoint it adopts already covers, so none is applied twice', () => {
    const table = new TableLane(contract!, { lastOffset: -1, epoch: 3 });
    for (const offset of [2, 5, 8]) table.add(at(offset));
    table.adopt({ lastOffset: 5, epoch: 4 });
    expect(table.buffer.map((c) => c.offset)).toEqual([8]);
    expect(table.claim.epoch).toBe(4);
  });
});

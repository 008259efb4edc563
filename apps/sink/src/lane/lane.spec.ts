import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { Lane } from './lane';

const [contract] = parseConfig({
  tables: [
    { name: 'public.t', columns: { id: 'bigint' }, primaryKey: ['id'], flush: { maxRows: 2, maxAgeMs: 500 } },
  ],
}).tables;
const change = { table: 'public.t', op: 'upsert' as const, values: { id: '1' } };

describe('Lane', () => {
  it('is due when a table reaches its row or age threshold', () => {
    const lane = new Lane('changes', 0, 1);
    lane.tables.set('public.t', {
      contract: contract!,
      claim: { lastOffset: -1, epoch: 1 },
      buffer: [{ offset: 0, change, bytes: 10, receivedAt: 1000 }],
      bytes: 10,
    });
    lane.advance(0, 1000);
    expect(lane.isDue(1200)).toBe(false);
    expect(lane.isDue(1500)).toBe(true);
    lane.tables.get('public.t')!.buffer.push({ offset: 1, change, bytes: 10, receivedAt: 1200 });
    expect(lane.isDue(1201)).toBe(true);
  });

  it('commits offsets taken in without changes (transaction markers, skips) once idle, and never before anything was taken', () => {
    const lane = new Lane('changes', 0, 1);
    expect(lane.hasUncommittedProgress).toBe(false);
    expect(lane.isDue(10_000)).toBe(false);
    lane.advance(41, 5000);
    expect(lane.isDue(5500)).toBe(false);
    expect(lane.isDue(6000)).toBe(true);
    lane.committedOffset = 42;
    expect(lane.isDue(7000)).toBe(false);
  });

  it('drains every buffered table at once', () => {
    const lane = new Lane('changes', 0, 1);
    lane.tables.set('public.t', {
      contract: contract!,
      claim: { lastOffset: -1, epoch: 1 },
      buffer: [{ offset: 0, change, bytes: 10, receivedAt: 0 }],
      bytes: 10,
    });
    expect(lane.drain().map((d) => d.changes.length)).toEqual([1]);
    expect(lane.bufferedRows).toBe(0);
    expect(lane.drain()).toEqual([]);
  });
});

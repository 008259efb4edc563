import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import type { BufferedChange } from './buffered-change';
import { Lane } from './lane';
import { TableLane } from './table-lane';

const [a, b] = parseConfig({
  tables: [
    { name: 'public.a', columns: { id: 'bigint' }, primaryKey: ['id'] },
    { name: 'public.b', columns: { id: 'bigint' }, primaryKey: ['id'] },
  ],
}).tables;
const at = (offset: number): BufferedChange => ({
  offset,
  change: { table: 'public.a', op: 'upsert', values: { id: String(offset) } },
  bytes: 10,
  receivedAt: 0,
  raw: { key: null, value: null },
});

function laneWith(...tables: TableLane[]): Lane {
  const lane = new Lane('changes', 0, 1, 0);
  for (const table of tables) lane.tables.set(table.contract.name, table);
  return lane;
}

describe('Lane.commitFloor', () => {
  it('is the lowest offset any table still waits for, so a failing table holds back only the Kafka commit', () => {
    const tableA = new TableLane(a!, { lastOffset: -1, epoch: 1 });
    const tableB = new TableLane(b!, { lastOffset: -1, epoch: 1 });
    const lane = laneWith(tableA, tableB);
    tableA.add(at(3));
    tableB.add(at(5));
    lane.advance(9);
    expect(lane.commitFloor()).toBe(3);
    tableA.take();
    expect(lane.commitFloor()).toBe(3); // in flight is not durable yet
    tableA.committed(9);
    expect(lane.commitFloor()).toBe(5);
    tableB.take();
    tableB.failed('55P03', 'lock timeout', 1000);
    expect(lane.commitFloor()).toBe(5);
    tableB.take();
    tableB.committed(9);
    expect(lane.commitFloor()).toBe(10);
  });

  it('commits offsets taken in without changes (markers, skips) once idle, and never before anything was taken', () => {
    const lane = laneWith();
    expect(lane.commitDue(10_000)).toBe(false);
    lane.advance(41, 5000);
    expect(lane.commitDue(5500)).toBe(false);
    expect(lane.commitDue(6000)).toBe(true);
    lane.committed(42, 6000);
    expect(lane.commitDue(7000)).toBe(false);
    expect(lane.progressAt).toBe(6000);
  });

  it('runs commits one after another', async () => {
    const lane = laneWith();
    const order: string[] = [];
    const slow = lane.serializeCommit(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('first');
    });
    const fast = lane.serializeCommit(async () => void order.push('second'));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['first', 'second']);
  });
});

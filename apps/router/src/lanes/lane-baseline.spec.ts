import { parseConfig } from '@app/config';
import { partitionForKey } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import { LanesChangedError, planLanes } from './lane-baseline';

const tables = parseConfig({
  tables: [
    { name: 'public.sales', columns: { id: 'bigint' }, primaryKey: ['id'] },
    { name: 'shop.orders', columns: { id: 'bigint' }, primaryKey: ['id'], lane: 2 },
  ],
}).tables;
const at = new Date('2026-01-01T00:00:00Z');

describe('planLanes', () => {
  it('records a first baseline from the live partition count, pinning first', () => {
    const plan = planLanes(tables, 'changes', 8, undefined, at);
    expect(plan.lanes.get('public.sales')).toBe(partitionForKey('public.sales', 8));
    expect(plan.lanes.get('shop.orders')).toBe(2);
    expect(plan.added).toEqual(['public.sales', 'shop.orders']);
    expect(plan.baseline).toEqual({
      changesTopic: 'changes',
      partitions: 8,
      lanes: Object.fromEntries(plan.lanes),
      recordedAt: at.toISOString(),
    });
  });

  it('accepts a matching baseline and only adds new tables', () => {
    const first = planLanes(tables.slice(0, 1), 'changes', 8, undefined, at).baseline;
    const plan = planLanes(tables, 'changes', 8, first, at);
    expect(plan.added).toEqual(['shop.orders']);
    expect(planLanes(tables, 'changes', 8, plan.baseline, at).added).toEqual([]);
  });

  it('refuses a changed partition count and says how to drain and re-baseline', () => {
    const baseline = planLanes(tables, 'changes', 8, undefined, at).baseline;
    expect(() => planLanes(tables, 'changes', 12, baseline, at)).toThrow(LanesChangedError);
    try {
      planLanes(tables, 'changes', 12, baseline, at);
    } catch (error) {
      expect((error as Error).message).toContain('has 12 partitions, but its lanes were built for 8');
      expect((error as Error).message).toContain('rebaseline --drained-group');
    }
  });

  it('refuses a table whose pinned lane changed', () => {
    const baseline = planLanes(tables, 'changes', 8, undefined, at).baseline;
    const moved = tables.map((t) => (t.name === 'shop.orders' ? { ...t, lane: 5 } : t));
    expect(() => planLanes(moved, 'changes', 8, baseline, at)).toThrow(
      /shop.orders was on lane 2 and would move to lane 5/,
    );
  });
});

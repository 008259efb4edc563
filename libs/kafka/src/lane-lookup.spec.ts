import { describe, expect, it } from 'vitest';
import { laneInBaseline } from './lane-lookup';
import { laneOf } from './murmur2';

describe('laneInBaseline', () => {
  it('keeps a recorded lane, whatever the hash would pick now', () => {
    const baseline = { partitions: 4, lanes: { 'public.sales': 3 } };
    expect(laneInBaseline(baseline, { name: 'public.sales' })).toBe(3);
  });

  it("gives a table the baseline does not hold the lane a router would record: the baseline's count", () => {
    const baseline = { partitions: 4, lanes: {} };
    expect(laneInBaseline(baseline, { name: 'public.sales' })).toBe(laneOf({ name: 'public.sales' }, 4));
    expect(laneInBaseline(baseline, { name: 'public.sales', lane: 2 })).toBe(2);
  });
});

import type { PipelineRecord } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import { ContractGapHeld, ContractHold } from './contract-hold';
import type { RouteResult } from './route-record';

const record = { topic: 'in', partition: 0, offset: '7' } as PipelineRecord;
const gap: RouteResult = {
  kind: 'dead',
  error: { code: 'UNKNOWN_COLUMN', message: 'row.tier is not a column of public.t' },
  output: { topic: 'dlq', partition: 0, key: null, value: null },
};
const change: RouteResult = {
  kind: 'change',
  table: 'public.t',
  output: { topic: 'out', partition: 0, key: null, value: null },
};

function hold(reloads: boolean[], clock: { now: number }) {
  const held: number[] = [];
  const h = new ContractHold({
    reload: async () => reloads.shift() ?? false,
    holdMs: 10_000,
    onHeld: (count) => held.push(count),
    now: () => clock.now,
  });
  return { h, held };
}

describe('ContractHold', () => {
  it('routes again after a reload that knows the column', async () => {
    const { h } = hold([true], { now: 0 });
    let known = false;
    const result = await h.route(record, async () => (known ? change : ((known = true), gap)));
    expect(result).toBe(change);
  });

  it('holds a change the contracts do not know (a retry helps) until the bound, then dead-letters it', async () => {
    const clock = { now: 0 };
    const { h, held } = hold([], clock);
    await expect(h.route(record, async () => gap)).rejects.toBeInstanceOf(ContractGapHeld);
    clock.now = 9_999;
    await expect(h.route(record, async () => gap)).rejects.toMatchObject({ retriable: true });
    clock.now = 10_000;
    expect(await h.route(record, async () => gap)).toBe(gap);
    expect(held).toEqual([1, 1, 0]);
  });

  it('never holds other dead letters', async () => {
    const { h } = hold([], { now: 0 });
    const bad: RouteResult = { ...gap, error: { code: 'INVALID_VALUE', message: 'x' } } as RouteResult;
    expect(await h.route(record, async () => bad)).toBe(bad);
  });

  it('refuses the same gap at once after one hold ran out, until the contracts change', async () => {
    const clock = { now: 0 };
    const { h } = hold([], clock);
    await expect(h.route(record, async () => gap)).rejects.toBeInstanceOf(ContractGapHeld);
    clock.now = 10_000;
    expect(await h.route(record, async () => gap)).toBe(gap);
    const next = { ...record, offset: '8' } as PipelineRecord;
    expect(await h.route(next, async () => gap)).toBe(gap);
  });
});

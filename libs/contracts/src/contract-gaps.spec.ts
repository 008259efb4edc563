import { describe, expect, it } from 'vitest';
import { ContractGapPolicy } from './contract-gaps';

describe('ContractGapPolicy', () => {
  it('holds a change up to the bound even when it is asked about only every few seconds', () => {
    const clock = { now: 0 };
    const policy = new ContractGapPolicy(1000, () => clock.now);
    expect(policy.decide('p0/7', 'no column tier')).toBe('hold');
    clock.now = 5000; // a refetch 5 s later: past the bound, not a new hold
    expect(policy.decide('p0/7', 'no column tier')).toBe('refuse');
  });

  it('after one hold ran out, refuses the same gap at once until the contracts change', () => {
    const clock = { now: 0 };
    const policy = new ContractGapPolicy(1000, () => clock.now);
    policy.decide('p0/7', 'gap');
    clock.now = 1000;
    expect(policy.decide('p0/7', 'gap')).toBe('refuse');
    expect(policy.decide('p0/8', 'gap')).toBe('refuse');
    expect(policy.decide('p0/9', 'another gap')).toBe('hold');
    policy.contractsChanged();
    expect(policy.decide('p0/10', 'gap')).toBe('hold');
  });

  it('forgets changes nobody asks about any more (their partition moved)', () => {
    const clock = { now: 0 };
    const policy = new ContractGapPolicy(120_000, () => clock.now);
    policy.decide('p0/7', 'gap');
    clock.now = 61_000;
    policy.decide('p1/1', 'other');
    expect(policy.waiting).toBe(1);
  });
});

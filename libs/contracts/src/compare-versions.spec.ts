import { describe, expect, it } from 'vitest';
import { compareVersions } from './compare-versions';

describe('compareVersions', () => {
  it('compares bigints beyond 2^53 exactly', () => {
    expect(compareVersions({ kind: 'bigint' }, '9007199254740993', '9007199254740992')).toBeGreaterThan(0);
  });
  it('compares timestamps with zones as instants, to the microsecond', () => {
    expect(
      compareVersions({ kind: 'timestamptz' }, '2026-01-01T02:00:00+02:00', '2026-01-01T00:00:00Z'),
    ).toBe(0);
    expect(
      compareVersions({ kind: 'timestamptz' }, '2026-01-01T00:00:00.000002Z', '2026-01-01T00:00:00.000001Z'),
    ).toBeGreaterThan(0);
  });
});

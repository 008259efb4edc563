import { parseColumnType } from '@app/config';
import { describe, expect, it } from 'vitest';
import { compareVersions } from './compare-versions';

const sign = (declared: string, a: string, b: string) =>
  Math.sign(compareVersions(parseColumnType(declared)!, a, b));

describe('compareVersions orders as the warehouse does', () => {
  it.each([
    ['bigint', '9007199254740993', '9007199254740992', 1],
    ['bigint', '-9223372036854775808', '9223372036854775807', -1],
    ['numeric(38,0)', '9007199254740993', '9007199254740992', 1],
    ['numeric(38,6)', '123456789012345678901234567890.000001', '123456789012345678901234567890', 1],
    ['numeric(38,6)', '1', '1.000000', 0],
    ['numeric(38,6)', '1e0', '+1.0', 0],
    ['numeric(38,6)', '1.5e1', '15', 0],
    ['numeric(38,6)', '-2', '1', -1],
    ['numeric(38,6)', '-2', '-10', 1],
    ['numeric(38,6)', '0', '-0.0', 0],
    ['numeric(38,6)', '0.001', '0', 1],
    ['timestamp', '2026-01-01T00:00:00.900', '2026-01-01T00:00:00.100', 1],
    ['timestamp', '2026-01-01T00:00:00.000001', '2026-01-01T00:00:00', 1],
    ['timestamp', '2026-01-01 12:00', '2026-01-01T12:00:00.000', 0],
    ['timestamp', '2026-01-01T12:00:00.5', '2026-01-01T12:00:00.500000', 0],
    ['timestamp', '1970-01-01T00:00:00', '1969-12-31T23:59:59.999999', 1],
    ['timestamptz', '2026-01-01T02:00:00+02:00', '2026-01-01T00:00:00Z', 0],
    ['timestamptz', '2026-01-01T05:00:00+05', '2026-01-01T00:00:00Z', 0],
    ['timestamptz', '2026-01-01T05:30:00+0530', '2026-01-01T00:00:00+00:00', 0],
    ['timestamptz', '2026-01-01T05:30:00+05:30', '2026-01-01T00:00:00.000001z', -1],
    ['timestamptz', '2025-12-31T20:00:00-04', '2026-01-01T00:00:00Z', 0],
    ['timestamptz', '2026-01-01T00:00:00.900Z', '2026-01-01T00:00:00.100Z', 1],
    ['timestamptz', '2026-01-01T00:00:00.000002Z', '2026-01-01T00:00:00.000001Z', 1],
    ['timestamptz', '0001-01-01T00:00:00+15:59', '0001-01-01T00:00:00Z', -1],
  ])('%s: %s vs %s is %i', (declared, a, b, expected) => {
    expect(sign(declared, a, b)).toBe(expected);
    expect(sign(declared, b, a)).toBe(-expected || 0);
  });

  it('throws on a value that was never validated rather than guessing an order', () => {
    expect(() => sign('timestamp', '2026-02-30T00:00:00', '2026-01-01T00:00:00')).toThrow(/not a validated/);
    expect(() => sign('bigint', 'x', '1')).toThrow(/not a validated/);
  });
});

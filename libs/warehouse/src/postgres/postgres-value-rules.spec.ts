import { parseColumnType } from '@app/config';
import { coerceValue } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import { postgresValueRules } from './postgres-value-rules';

const accepts = (declared: string, value: unknown) =>
  coerceValue(parseColumnType(declared)!, value, postgresValueRules).ok;

describe('postgresValueRules', () => {
  it('count varchar(n) in characters, as PostgreSQL does', () => {
    expect(accepts('varchar(2)', '表🚀')).toBe(true);
    expect(accepts('varchar(2)', '表🚀x')).toBe(false);
  });

  it('take zone offsets up to ±15:59 and subnormal doubles', () => {
    expect(accepts('timestamptz', '2026-01-01T00:00:00-15:59')).toBe(true);
    expect(accepts('timestamptz', '2026-01-01T00:00:00+16')).toBe(false);
    expect(accepts('double', '4.9e-324')).toBe(true);
  });
});

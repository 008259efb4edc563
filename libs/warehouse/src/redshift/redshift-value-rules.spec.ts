import { parseColumnType } from '@app/config';
import { coerceValue } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import { redshiftValueRules } from './redshift-value-rules';

const coerce = (declared: string, value: unknown) =>
  coerceValue(parseColumnType(declared)!, value, redshiftValueRules);

describe('redshiftValueRules', () => {
  it('count VARCHAR(n) in UTF-8 bytes, as Redshift does', () => {
    expect(coerce('varchar(4)', 'éé').ok).toBe(true);
    expect(coerce('varchar(4)', '🚀x')).toEqual({
      ok: false,
      reason: 'is 5 bytes long; varchar(4) on Redshift takes at most 4 bytes',
    });
  });

  it('hold text and json to 65,535 bytes (VARCHAR(65535), and the SUPER staging column)', () => {
    expect(coerce('text', 'a'.repeat(65535)).ok).toBe(true);
    expect(coerce('text', 'é'.repeat(32768)).ok).toBe(false);
    expect(coerce('json', 'a'.repeat(65533)).ok).toBe(true);
    expect(coerce('json', 'a'.repeat(65534)).ok).toBe(false);
  });

  it('take zone offsets up to ±14:59 and refuse subnormal doubles', () => {
    expect(coerce('timestamptz', '2026-01-01T00:00:00+14:59').ok).toBe(true);
    expect(coerce('timestamptz', '2026-01-01T00:00:00+15').ok).toBe(false);
    expect(coerce('double', '2.33125e-315').ok).toBe(false);
    expect(coerce('double', '2.2250738585072014e-308').ok).toBe(true);
  });
});

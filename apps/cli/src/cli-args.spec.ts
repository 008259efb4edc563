import { describe, expect, it } from 'vitest';
import { CliArgs, UsageError } from './cli-args';

describe('CliArgs', () => {
  it('reads values, lists, flags, offsets and times', () => {
    const args = new CliArgs([
      '--code',
      'A,B',
      '--code=C',
      '--yes',
      '--from',
      '12',
      '--since',
      '2025-01-01T00:00:00Z',
    ]);
    expect(args.list('code')).toEqual(['A', 'B', 'C']);
    expect(args.flag('yes')).toBe(true);
    expect(args.offset('from')).toBe(12n);
    expect(args.time('since')).toBe(Date.parse('2025-01-01T00:00:00Z'));
    expect(() => args.rejectUnknown()).not.toThrow();
  });

  it('refuses a typo rather than replaying more than asked', () => {
    const args = new CliArgs(['--tabel', 'public.sales']);
    args.list('table');
    expect(() => args.rejectUnknown()).toThrow(UsageError);
    expect(() => new CliArgs(['--partitions', 'x']).positiveInt('partitions')).toThrow(
      /positive whole number/,
    );
  });
});

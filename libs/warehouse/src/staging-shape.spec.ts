import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { ORDINARY_SHAPE, stagedColumns, stagingShape } from './staging-shape';

const [pair] = parseConfig({
  tables: [{ name: 'app.pair', columns: { a: 'bigint', b: 'text', v: 'text' }, primaryKey: ['a', 'b'] }],
}).tables;

describe('staging shapes', () => {
  it('tell truncated and partial batches from ordinary ones', () => {
    expect(
      stagingShape([
        { op: 'u', values: [] },
        { op: 'd', values: [] },
      ]),
    ).toBe(ORDINARY_SHAPE);
    expect(stagingShape([{ op: 't', values: [] }])).toEqual({ truncate: true, partial: false });
    expect(stagingShape([{ op: 'u', values: [], keep: { columns: [], from: [] } }])).toEqual({
      truncate: false,
      partial: true,
    });
  });

  it('stage the keep flags and one fill-from column per key column, for partial batches only', () => {
    expect(stagedColumns(pair!, { truncate: true, partial: false })).toEqual(['a', 'b', 'v', '__tl_op']);
    expect(stagedColumns(pair!, { truncate: false, partial: true })).toEqual([
      'a',
      'b',
      'v',
      '__tl_op',
      '__tl_keep',
      '__tl_from_0',
      '__tl_from_1',
    ]);
  });
});

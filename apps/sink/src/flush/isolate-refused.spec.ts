import { describe, expect, it } from 'vitest';
import type { BufferedChange } from '../lane/buffered-change';
import { isolateRefused } from './isolate-refused';

const changes = (n: number): BufferedChange[] =>
  Array.from({ length: n }, (_, offset) => ({
    offset,
    change: { table: 't', op: 'upsert', values: { id: String(offset) } },
    bytes: 1,
    receivedAt: 0,
    raw: { key: null, value: null },
  }));

/** A probe that refuses any subset holding one of `bad`, and counts its calls. */
function probeRefusing(...bad: number[]) {
  const probe = async (subset: BufferedChange[]) => {
    probe.calls++;
    const hit = subset.find((c) => bad.includes(c.offset));
    return hit ? { code: '22007', message: `bad ${hit.offset}` } : undefined;
  };
  probe.calls = 0;
  return probe;
}

describe('isolateRefused', () => {
  it('finds exactly the refused changes, with the reason each one gets alone', async () => {
    const probe = probeRefusing(3, 77, 78);
    const found = await isolateRefused(changes(100), probe);
    expect(found.map((f) => [f.change.offset, f.message])).toEqual([
      [3, 'bad 3'],
      [77, 'bad 77'],
      [78, 'bad 78'],
    ]);
  });

  it('needs about 2·log2(n) probes for one refused change, not n', async () => {
    const probe = probeRefusing(4321);
    await isolateRefused(changes(10_000), probe);
    expect(probe.calls).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(10_000)) + 1);
  });

  it('finds nothing when the changes load on their own', async () => {
    expect(await isolateRefused(changes(10), probeRefusing())).toEqual([]);
  });
});

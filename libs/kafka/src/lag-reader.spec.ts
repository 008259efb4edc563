import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { readPartitionLag, totalMessagesBehind } from './lag-reader';

/** Only the two calls the reader makes; the rest of an Admin is never touched. */
function fakeAdmin(highs: number[], committed: Record<number, string>): Admin {
  return {
    fetchTopicOffsets: async () =>
      highs.map((high, partition) => ({ partition, high: String(high), low: '0', offset: String(high) })),
    fetchOffsets: async () => [
      {
        topic: 't',
        partitions: Object.entries(committed).map(([partition, offset]) => ({
          partition: Number(partition),
          offset,
          metadata: null,
        })),
      },
    ],
  } as unknown as Admin;
}

describe('readPartitionLag', () => {
  it('counts from 0 where the group never committed, and a partition added since as all behind', async () => {
    const lag = await readPartitionLag(fakeAdmin([10, 7, 3], { 0: '4', 1: '-1' }), 'g', 't');
    expect(lag).toEqual([
      { partition: 0, end: 10, committed: 4, messagesBehind: 6 },
      { partition: 1, end: 7, committed: 0, messagesBehind: 7 },
      { partition: 2, end: 3, committed: 0, messagesBehind: 3 },
    ]);
    expect(totalMessagesBehind(lag)).toBe(16);
  });

  it('never reports negative lag (a topic truncated below the committed offset)', async () => {
    const [lag] = await readPartitionLag(fakeAdmin([2], { 0: '5' }), 'g', 't');
    expect(lag!.messagesBehind).toBe(0);
  });
});

import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { laneOf, partitionForKey } from './murmur2';

describe('partitionForKey', () => {
  const javaCompatible = Partitioners.DefaultPartitioner();

  it.each(['public.sales', 'a', 'ab', 'abc', 'abcd', 'analytics.page_views', 'ü-unicode.表'])(
    'matches the Java client for %s',
    (key) => {
      for (const partitions of [1, 3, 8, 12, 64]) {
        const expected = javaCompatible({
          topic: 't',
          partitionMetadata: Array.from({ length: partitions }, (_, id) => ({
            partitionId: id,
            leader: 0,
            partitionErrorCode: 0,
            replicas: [0],
            isr: [0],
          })),
          message: { key, value: 'x' },
        });
        expect(partitionForKey(key, partitions)).toBe(expected);
      }
    },
  );

  it('honours lane pinning and refuses a lane the topic does not have', () => {
    expect(laneOf({ name: 'public.sales', lane: 5 }, 8)).toBe(5);
    expect(() => laneOf({ name: 'public.sales', lane: 9 }, 8)).toThrow(/only 8 partitions/);
  });
});

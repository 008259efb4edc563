import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { groupMessagesPerPartition } from './kafkajs-group-per-partition';
import './kafka-client';

describe('groupMessagesPerPartition', () => {
  it('is the one kafkajs producers use', () => {
    const load = createRequire(__filename);
    expect(load('kafkajs/src/producer/groupMessagesPerPartition.js')).toBe(groupMessagesPerPartition);
  });

  it('groups messages by the partitioner’s answer, in send order, as kafkajs did', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: i % 3 }));
    const groups = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{}, {}, {}],
      messages,
      partitioner: ({ message }) => message.partition,
    });
    expect(Object.keys(groups)).toEqual(['0', '1', '2']);
    expect(groups[0]!.map((m) => m.value)).toEqual(['m0', 'm3', 'm6', 'm9']);
    expect(groups[1]!.map((m) => m.value)).toEqual(['m1', 'm4', 'm7']);
    expect(groups[2]!.map((m) => m.value)).toEqual(['m2', 'm5', 'm8']);
  });

  it('returns nothing for a topic without partition metadata', () => {
    expect(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [{}], partitioner: () => 0 }),
    ).toEqual({});
  });
});

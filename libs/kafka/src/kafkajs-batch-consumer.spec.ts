import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { GroupMembershipLost } from './batch-consumer.port';
import { KafkajsBatchConsumer } from './kafkajs-batch-consumer';

/** A kafkajs client whose consumer's commitOffsets fails with `error`. */
function refusingCommits(error: unknown) {
  const consumer = {
    commitOffsets: async () => {
      throw error;
    },
  };
  return { consumer: () => consumer } as unknown as Kafka;
}

const options = { groupId: 'sinks', sessionTimeoutMs: 6000, concurrency: 1 };

describe('KafkajsBatchConsumer.commit', () => {
  it('says the generation is over when the coordinator answers so, directly or as the cause', async () => {
    for (const type of [
      'ILLEGAL_GENERATION',
      'UNKNOWN_MEMBER_ID',
      'REBALANCE_IN_PROGRESS',
      'FENCED_INSTANCE_ID',
    ]) {
      const answer = Object.assign(new Error('coordinator'), { type });
      const direct = new KafkajsBatchConsumer(refusingCommits(answer), options);
      await expect(direct.commit('changes', 0, '10')).rejects.toBeInstanceOf(GroupMembershipLost);
      // kafkajs' retry exhaustion wraps the last answer.
      const wrapped = new KafkajsBatchConsumer(
        refusingCommits(Object.assign(new Error('retries exceeded'), { cause: answer })),
        options,
      );
      const lost = await wrapped.commit('changes', 0, '10').catch((e: unknown) => e);
      expect(lost).toBeInstanceOf(GroupMembershipLost);
      expect((lost as GroupMembershipLost).retriable).toBe(false);
    }
  });

  it('passes any other failure through: the coordinator could not be asked', async () => {
    const down = Object.assign(new Error('Connection timeout'), { type: 'NETWORK_EXCEPTION' });
    const consumer = new KafkajsBatchConsumer(refusingCommits(down), options);
    await expect(consumer.commit('changes', 0, '10')).rejects.toBe(down);
  });
});

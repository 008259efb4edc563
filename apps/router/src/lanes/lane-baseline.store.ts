import { readLaneBaseline, writeLaneBaseline, type KafkaAdmin, type KafkaClient } from '@app/kafka';
import type { LaneBaseline } from './lane-baseline';

/**
 * Keeps lane baselines in a compacted single-partition topic, keyed by the changes topic
 * they describe. Kafka itself holds the record, so every router of a cluster compares against
 * the same baseline whatever host or configuration it starts from.
 */
export class LaneBaselineStore {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    readonly topic: string,
  ) {}

  async read(changesTopic: string): Promise<LaneBaseline | undefined> {
    await this.ensureTopic();
    return readLaneBaseline(this.kafka, this.admin, this.topic, changesTopic);
  }

  async write(baseline: LaneBaseline): Promise<void> {
    await this.ensureTopic();
    await writeLaneBaseline(this.kafka, this.topic, baseline);
  }

  private async ensureTopic(): Promise<void> {
    const topics = await this.admin.listTopics();
    if (topics.includes(this.topic)) return;
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: this.topic,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
  }
}

/** Partition count of a topic, or undefined when it does not exist. */
export async function partitionCount(admin: KafkaAdmin, topic: string): Promise<number | undefined> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length;
}

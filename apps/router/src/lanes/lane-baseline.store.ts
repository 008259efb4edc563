import type { Admin, Kafka } from 'kafkajs';
import type { LaneBaseline } from './lane-baseline';
import { readToEnd } from './topic-reader';

/**
 * Keeps lane baselines in a compacted single-partition topic, keyed by the changes topic
 * they describe. Kafka itself holds the record, so every router of a cluster compares against
 * the same baseline whatever host or configuration it starts from.
 */
export class LaneBaselineStore {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string,
  ) {}

  async read(changesTopic: string): Promise<LaneBaseline | undefined> {
    await this.ensureTopic();
    let latest: LaneBaseline | undefined;
    for (const { message } of await readToEnd(this.kafka, this.admin, this.topic)) {
      if (message.key?.toString('utf8') !== changesTopic) continue;
      latest = message.value ? (JSON.parse(message.value.toString('utf8')) as LaneBaseline) : undefined;
    }
    return latest;
  }

  async write(baseline: LaneBaseline): Promise<void> {
    await this.ensureTopic();
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    try {
      await producer.send({
        topic: this.topic,
        acks: -1,
        messages: [{ key: baseline.changesTopic, value: JSON.stringify(baseline), partition: 0 }],
      });
    } finally {
      await producer.disconnect();
    }
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
export async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics[0]?.partitions.length;
}

// Before kafkajs: loading @app/kafka installs its kafkajs patches, which must precede kafkajs.
import { readPartitionLag, totalMessagesBehind } from '@app/kafka';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { onTestFinished } from 'vitest';
import { stackEnv } from './env';

export function testKafka(clientId = 'tablelane-test'): Kafka {
  return new Kafka({ clientId, brokers: stackEnv.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
}

/** Creates topics for one test and deletes them when it finishes. */
export async function createTopics(
  kafka: Kafka,
  topics: { topic: string; numPartitions: number }[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: topics.map((t) => ({ ...t, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  onTestFinished(async () => {
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: topics.map((t) => t.topic) }).catch(() => undefined);
    await cleanup.disconnect();
  });
}

/** Messages a consumer group still has to read, summed over the topic's partitions. */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  return totalMessagesBehind(await readPartitionLag(admin, groupId, topic));
}

/** Reads every record of a topic from the beginning (read committed). */
export async function readAll(kafka: Kafka, topic: string, expected: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const records: {
    partition: number;
    offset: string;
    key: string | null;
    value: string | null;
    headers: Record<string, string>;
  }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      records.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers,
      });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (records.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return records;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  createTestTopics,
  readCommitted,
  routerEnv,
  startApp,
  testKafka,
  writeConfig,
  type TestTopics,
} from './support/harness';
import { parseConfig } from '@app/config';
import { laneOf } from '@app/kafka';
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';

const TABLES = [
  { name: 'public.sales', columns: { id: 'bigint' }, primaryKey: ['id'] },
  { name: 'analytics.page_views', mode: 'append', columns: { url: 'text' } },
];
const contracts = parseConfig({ tables: TABLES }).tables;

async function produce(kafka: Kafka, topics: TestTopics, ids: number[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic: topics.ingest,
    acks: -1,
    messages: ids.map((id) => ({
      value: JSON.stringify({ table: 'public.sales', op: 'upsert', row: { id }, id: `e${id}` }),
    })),
  });
  await producer.disconnect();
}

/** Consumes the changes topic as a sink would, committing what it read. */
async function drain(kafka: Kafka, topic: string, groupId: string, expected: number): Promise<void> {
  const consumer = kafka.consumer({ groupId });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => void seen++ });
  for (const deadline = Date.now() + 30_000; seen < expected && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 100));
  // kafkajs commits what was consumed when the consumer leaves.
  await consumer.disconnect();
}

describe('lanes survive a change of the changes topic partition count', () => {
  it('refuses to start on a mismatch until the lanes are drained and re-baselined', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'lanes', { ingest: 1, changes: 4, dlq: 1 });
    const configPath = writeConfig(topics, TABLES);
    const env = routerEnv(configPath, topics);
    const sinkGroup = `${topics.base}.sink`;

    let router = startApp('router', env);
    await router.waitFor(/lane baseline recorded/);
    await produce(kafka, topics, [1, 2]);
    const before = await readCommitted(kafka, topics.changes, 2, { quietMs: 500 });
    expect(before.map((r) => r.partition)).toEqual([laneOf(contracts[0]!, 4), laneOf(contracts[0]!, 4)]);
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(0);

    const admin = kafka.admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic: topics.changes, count: 6 }] });

    // The router refuses, says why and how to fix it, with its own exit code.
    router = startApp('router', env);
    expect(await router.exited).toBe(3);
    expect(router.output()).toContain(`${topics.changes} has 6 partitions, but its lanes were built for 4`);
    expect(router.output()).toContain('rebaseline --drained-group');

    // Re-baselining is refused while the sink has not loaded everything, then accepted.
    const early = startApp('router', env, ['rebaseline', '--drained-group', sinkGroup]);
    expect(await early.exited).toBe(1);
    expect(early.output()).toContain(`group ${sinkGroup} has not loaded everything on ${topics.changes}`);
    await drain(kafka, topics.changes, sinkGroup, 2);
    const rebaseline = startApp('router', env, ['rebaseline', '--drained-group', sinkGroup]);
    expect(await rebaseline.exited, rebaseline.output()).toBe(0);
    expect(rebaseline.output()).toContain('4 -> 6 partitions');

    // Routing resumes with lanes computed for 6 partitions.
    router = startApp('router', env);
    await router.waitFor(/lanes match the recorded baseline/);
    await produce(kafka, topics, [3]);
    const after = await readCommitted(kafka, topics.changes, 3, { quietMs: 500 });
    expect(after.find((r) => r.value!.toString().includes('"e3"'))!.partition).toBe(laneOf(contracts[0]!, 6));
    await admin.disconnect();
  });
});

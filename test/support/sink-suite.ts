import { onTestFinished } from 'vitest';
import { uniqueName } from './env';
import { createTopics, groupLag, testKafka, waitFor } from './kafka';
import { dropSchemasAfterTest, testPool } from './postgres';

/**
 * Everything a sink integration test needs, unique to the test and cleaned up after it: a
 * changes topic (and its DLQ), a consumer group name, a target schema and a state schema.
 */
export async function sinkTestSetup(prefix: string, partitions: number) {
  const kafka = testKafka();
  const pool = testPool();
  const schema = uniqueName(prefix);
  const state = uniqueName('tl');
  const changes = uniqueName('changes');
  const dlq = `${changes}.dlq`;
  const group = uniqueName('sink');
  dropSchemasAfterTest(schema, state);
  await createTopics(kafka, [
    { topic: changes, numPartitions: partitions },
    { topic: dlq, numPartitions: 1 },
  ]);
  const admin = kafka.admin();
  await admin.connect();
  onTestFinished(() => admin.disconnect());
  const lag = () => groupLag(admin, group, changes);
  const caughtUp = (timeoutMs = 60_000) =>
    waitFor('the sink to catch up', async () => (await lag()) === 0, timeoutMs);
  return { kafka, pool, schema, state, changes, dlq, group, admin, lag, caughtUp };
}

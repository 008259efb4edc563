import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import type { LaneBaseline } from './lane-lookup';
import { scanTopic } from './topic-range-reader';

/** How long reading the baseline topic may take; an open transaction could hold its end back. */
const READ_TIMEOUT_MS = 30_000;

/**
 * The latest baseline recorded for a changes topic in the compacted lanes topic, or undefined
 * when none was recorded yet (or the lanes topic does not exist: no router has started).
 * Reads only; creating the topic is the router's job.
 */
export async function readLaneBaseline(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  lanesTopic: string,
  changesTopic: string,
): Promise<LaneBaseline | undefined> {
  if (!(await admin.listTopics()).includes(lanesTopic)) return undefined;
  let latest: LaneBaseline | undefined;
  await scanTopic(
    kafka,
    admin,
    lanesTopic,
    {},
    ({ key, value }) => {
      if (key?.toString('utf8') !== changesTopic) return;
      // A null value is a tombstone: the baseline was deleted.
      latest = value ? parseLaneBaseline(value.toString('utf8'), lanesTopic) : undefined;
    },
    READ_TIMEOUT_MS,
  );
  return latest;
}

/**
 * Records a baseline as the latest for its changes topic (keyed by it, on the lanes topic's
 * single partition), acknowledged by all in-sync replicas before it returns.
 */
export async function writeLaneBaseline(
  kafka: KafkaClient,
  lanesTopic: string,
  baseline: LaneBaseline,
): Promise<void> {
  const producer = kafkajsOf(kafka).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    await producer.send({
      topic: lanesTopic,
      acks: -1,
      messages: [{ key: baseline.changesTopic, value: JSON.stringify(baseline), partition: 0 }],
    });
  } finally {
    await producer.disconnect();
  }
}

/** Checks the shape of a recorded baseline: a wrong one would silently report wrong lanes. */
function parseLaneBaseline(json: string, lanesTopic: string): LaneBaseline {
  const value: unknown = JSON.parse(json);
  const candidate = value as Partial<LaneBaseline> | null;
  const lanes = candidate?.lanes;
  if (
    typeof candidate?.changesTopic !== 'string' ||
    typeof candidate.partitions !== 'number' ||
    typeof candidate.recordedAt !== 'string' ||
    typeof lanes !== 'object' ||
    lanes === null ||
    !Object.values(lanes).every((lane) => Number.isInteger(lane))
  ) {
    throw new Error(`${lanesTopic} holds a lane baseline that is not one: ${json.slice(0, 200)}`);
  }
  return candidate as LaneBaseline;
}

import { TOPIC_RESOURCE, type KafkaAdmin } from './kafka-admin.port';

/** The broker default of `message.max.bytes`, which a topic without an override inherits. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Bytes of a v2 record batch before its first record (base offset to record count). */
const RECORD_BATCH_OVERHEAD = 61;
/** The most a varint of a 32-bit length takes; Kafka records carry several. */
const VARINT = 5;

export interface SizedMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[] | undefined>;
}

const bytesOf = (data: string | Buffer | null | undefined): number =>
  data === null || data === undefined ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

/**
 * An upper bound of the bytes a message takes in an uncompressed v2 record batch: length,
 * attributes, timestamp and offset deltas, key, value and every header, each with its
 * length. Compression only makes the batch smaller, so a batch sized by this always fits.
 */
export function recordSizeUpperBound(message: SizedMessage): number {
  let size =
    VARINT + 1 + 10 + VARINT + VARINT + bytesOf(message.key) + VARINT + bytesOf(message.value) + VARINT;
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      size += 2 * VARINT + Buffer.byteLength(name) + bytesOf(value);
    }
  }
  return size;
}

/**
 * Record bytes one produce request may carry per partition for a topic limit: the batch
 * header is taken off, and a margin for what the estimate cannot see (the broker's own
 * accounting may differ by a few bytes between versions).
 */
export function messageBudget(maxMessageBytes: number): number {
  const margin = Math.min(1024, Math.floor(maxMessageBytes / 16));
  return Math.max(1, maxMessageBytes - RECORD_BATCH_OVERHEAD - margin);
}

/**
 * Splits messages, in order, into groups of which every topic-partition's records fit its
 * topic's budget; a message without a partition is counted against the whole topic, since a
 * partitioner may put all of them on one partition. A message bigger than its budget alone
 * still gets a group of its own: deciding what to do with it is the caller's job.
 */
export function splitToFit<M extends SizedMessage & { topic: string; partition?: number }>(
  messages: readonly M[],
  budgetOf: (topic: string) => number,
): M[][] {
  const groups: M[][] = [];
  let current: M[] = [];
  let used = new Map<string, number>();
  for (const message of messages) {
    const lane =
      message.partition === undefined ? message.topic : `${message.topic}\u0000${message.partition}`;
    const size = recordSizeUpperBound(message);
    const after = (used.get(lane) ?? 0) + size;
    if (current.length > 0 && after > budgetOf(message.topic)) {
      groups.push(current);
      current = [];
      used = new Map();
    }
    current.push(message);
    used.set(lane, (used.get(lane) ?? 0) + size);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * The effective `max.message.bytes` of each topic (its override or the broker default the
 * topic inherits), read with describeConfigs. A topic whose config cannot be read gets the
 * broker's documented default: splitting to it is safe unless the broker default itself was
 * lowered, which describeConfigs would then have shown.
 */
export async function readMaxMessageBytes(
  admin: KafkaAdmin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const limits = new Map<string, number>(topics.map((topic) => [topic, DEFAULT_MAX_MESSAGE_BYTES]));
  const described = await admin
    .describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['max.message.bytes'],
      })),
    })
    .catch(() => undefined);
  for (const resource of described?.resources ?? []) {
    const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
    const value = Number(entry?.configValue);
    if (resource.errorCode === 0 && Number.isInteger(value) && value > 0)
      limits.set(resource.resourceName, value);
  }
  return limits;
}

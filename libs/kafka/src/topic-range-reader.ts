import { TablelaneError } from '@app/config';
import { randomUUID } from 'node:crypto';
import type { RecordHeaders } from './batch-consumer.port';
import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';

export interface RangeRecord {
  partition: number;
  offset: bigint;
  /** Broker or producer timestamp, epoch ms. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
}

export interface OffsetRange {
  /** Only these partitions; all when absent. */
  partitions?: number[];
  /**
   * First offset to read (inclusive): one for every partition, or one per partition (then only
   * those partitions are read); the log start when absent.
   */
  from?: bigint | ReadonlyMap<number, bigint>;
  /** Last offset to read in every partition (inclusive); the end as of the call when absent. */
  to?: bigint;
}

/**
 * Reads the committed records of a topic in an offset range, up to its end as of the call,
 * handing each to `onRecord` in offset order per partition (so a large topic is never held in
 * memory). kafkajs has no assign(): a throw-away one-member group that commits nothing stands
 * in for it and is deleted afterwards.
 */
export async function scanTopic(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  topic: string,
  range: OffsetRange,
  onRecord: (record: RangeRecord) => void | Promise<void>,
  timeoutMs = 60_000,
): Promise<void> {
  const starts = new Map<number, bigint>();
  const ends = new Map<number, bigint>();
  for (const p of await admin.fetchTopicOffsets(topic)) {
    if (range.partitions && !range.partitions.includes(p.partition)) continue;
    if (range.from instanceof Map && !range.from.has(p.partition)) continue;
    const low = BigInt(p.low);
    const from = range.from instanceof Map ? range.from.get(p.partition) : range.from;
    const start = from !== undefined && from > low ? from : low;
    const end = range.to !== undefined && range.to + 1n < BigInt(p.high) ? range.to + 1n : BigInt(p.high);
    if (end > start) {
      starts.set(p.partition, start);
      ends.set(p.partition, end);
    }
  }
  if (ends.size === 0) return;

  const groupId = `tablelane-scan-${randomUUID()}`;
  const consumer = kafkajsOf(kafka).consumer({ groupId, readUncommitted: false });
  const pending = new Set(ends.keys());
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const reached = (partition: number, offset: bigint) => {
    if (offset + 1n >= (ends.get(partition) ?? 0n)) pending.delete(partition);
    if (pending.size === 0) finish();
  };
  // END_BATCH_PROCESS also fires for batches of only transaction markers or aborted records,
  // so a partition whose tail is a commit marker is seen to reach its end.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    reached(payload.partition, BigInt(payload.lastOffset)),
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        const start = starts.get(partition);
        if (start === undefined || offset < start || offset >= ends.get(partition)!) return;
        await onRecord({
          partition,
          offset,
          timestamp: Number(message.timestamp),
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
        });
      },
    });
    for (const [partition, offset] of starts) consumer.seek({ topic, partition, offset: offset.toString() });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TopicScanTimeout(`reading ${topic} did not reach its end within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/** The end was not reached in time (an open transaction holds the stable offset back?). Retrying can help. */
export class TopicScanTimeout extends TablelaneError {
  readonly code = 'TOPIC_SCAN_TIMEOUT';
  readonly retriable = true;
  constructor(message: string) {
    super(message);
    this.name = 'TopicScanTimeout';
  }
}

import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export interface ReadRecord {
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads the committed records of a topic up to its end as of the call: every partition from
 * its beginning, or only the partitions in `from`, each from the offset given, with a throw-away consumer group that commits nothing and is
 * deleted afterwards. kafkajs has no assign(), so a one-member group stands in for it.
 */
export async function readToEnd(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  from?: ReadonlyMap<number, bigint>,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const ends = new Map<number, bigint>();
  for (const p of await admin.fetchTopicOffsets(topic)) {
    if (from && !from.has(p.partition)) continue;
    const start = from?.get(p.partition) ?? BigInt(p.low);
    if (BigInt(p.high) > start) ends.set(p.partition, BigInt(p.high));
  }
  if (ends.size === 0) return [];

  const groupId = `tablelane-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  const records: ReadRecord[] = [];
  const pending = new Set(ends.keys());
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  // END_BATCH_PROCESS also fires for batches that held only transaction markers, so a
  // partition whose tail is a commit marker is seen to reach its end.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (BigInt(payload.lastOffset) + 1n >= (ends.get(payload.partition) ?? 0n))
      pending.delete(payload.partition);
    if (pending.size === 0) finish();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const start = from?.get(partition);
        if (ends.has(partition) && (start === undefined || BigInt(message.offset) >= start))
          records.push({ partition, message });
      },
    });
    for (const [partition, offset] of from ?? []) {
      if (ends.has(partition)) consumer.seek({ topic, partition, offset: offset.toString() });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms`)),
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
  return records.filter((r) => BigInt(r.message.offset) < ends.get(r.partition)!);
}

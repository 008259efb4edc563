import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createKafka, type KafkaConnection } from '@app/kafka';

/** One table batch a sink committed, from its `batch committed` debug log line. */
export interface CommitRecord {
  table: string;
  partition: number;
  /** Highest lane offset the batch covers. */
  offset: number;
  /** Changes in the batch, before reduction. */
  changes: number;
  /** When the warehouse transaction had committed (epoch ms). */
  at: number;
}

/** One change as it sits in the changes topic: its place in the lane and its event time. */
export interface LaneChange {
  table: string;
  partition: number;
  offset: number;
  /** Event time set by the producer just before sending (epoch ms). */
  ts: number;
}

/** Reads the sinks' `batch committed` lines (LOG_LEVEL=debug) for the tables `wanted` accepts. */
export function readCommitLog(files: string[], wanted: (table: string) => boolean): CommitRecord[] {
  const records: CommitRecord[] = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"batch committed"')) continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof entry.table !== 'string' || !wanted(entry.table)) continue;
      records.push({
        table: entry.table,
        partition: Number(entry.partition),
        offset: Number(entry.offset),
        changes: Number(entry.changes),
        at: Date.parse(String(entry.time)),
      });
    }
  }
  return records;
}

/**
 * Reads the changes topic from the given offsets (read_committed, as the sinks read it) until
 * `expected` changes of the wanted tables have arrived. A fresh consumer group starts at those
 * offsets, so earlier runs on the same topic are not read again.
 */
export async function readLaneChanges(
  connection: KafkaConnection,
  topic: string,
  from: Map<number, number>,
  expected: number,
  wanted: (table: string) => boolean,
  timeoutMs = 120_000,
): Promise<LaneChange[]> {
  const kafka = createKafka(connection, 'bench-reader');
  const groupId = `tablelane-bench-reader-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({
    groupId,
    topic,
    partitions: [...from].map(([partition, offset]) => ({ partition, offset: String(offset) })),
  });
  const consumer = kafka.batchConsumer({
    groupId,
    sessionTimeoutMs: 10_000,
    concurrency: 1,
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  const changes: LaneChange[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`read ${changes.length} of ${expected} changes from ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const ignore = () => undefined;
      consumer
        .start(
          topic,
          async (batch) => {
            for (const message of batch.records) {
              const value = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
                table?: string;
                ts?: number;
              };
              if (typeof value.table !== 'string' || !wanted(value.table)) continue;
              changes.push({
                table: value.table,
                partition: batch.partition,
                offset: Number(message.offset),
                ts: Number(value.ts),
              });
            }
            batch.resolveOffset(batch.lastOffset());
            if (changes.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
          { rebalancing: ignore, joined: ignore, skipped: ignore, failed: reject },
        )
        .catch(reject);
    });
  } finally {
    await consumer.stop();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return changes;
}

/**
 * End-to-end latency of every change: from its event time to the commit of the first batch of
 * its table and lane whose offset range reaches it. Returns seconds per change, in the order of
 * `changes`, and how many changes no commit covers (should be none).
 */
export function joinLatencies(
  changes: LaneChange[],
  commits: CommitRecord[],
): { seconds: number[]; committedAt: number[]; uncovered: number } {
  const byLane = new Map<string, CommitRecord[]>();
  for (const commit of commits) {
    const key = `${commit.partition}|${commit.table}`;
    const list = byLane.get(key) ?? [];
    list.push(commit);
    byLane.set(key, list);
  }
  for (const list of byLane.values()) list.sort((a, b) => a.offset - b.offset || a.at - b.at);
  const seconds: number[] = [];
  const committedAt: number[] = [];
  let uncovered = 0;
  for (const change of changes) {
    const list = byLane.get(`${change.partition}|${change.table}`) ?? [];
    // The first batch (by offset) reaching the change's offset is the one that applied it.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.offset < change.offset) lo = mid + 1;
      else hi = mid;
    }
    const commit = list[lo];
    if (!commit) {
      uncovered++;
      continue;
    }
    seconds.push(Math.max(0, commit.at - change.ts) / 1000);
    committedAt.push(commit.at);
  }
  return { seconds, committedAt, uncovered };
}

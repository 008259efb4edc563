import { randomUUID } from 'node:crypto';
import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import { TopicScanTimeout } from './topic-range-reader';

/** Where a snapshot run stands. Only `running` may be resumed; the others end it. */
export type SnapshotState = 'running' | 'done' | 'cancelled';

/**
 * The latest record of a table's snapshot on the compacted `<changes topic>.snapshots` topic,
 * keyed by the table name. Each chunk of rows is committed in one Kafka transaction with the
 * record that says so, so the record read after a crash says exactly which rows are on the lane.
 */
export interface SnapshotProgress {
  /** The run: `<table>@<start time>-<random>`, in every event of it on the lane. */
  run: string;
  table: string;
  state: SnapshotState;
  /** The primary key of the last row committed (canonical text per key column); null before the first. */
  lastKey: Record<string, string | null> | null;
  /** Sources read from files (Redshift UNLOAD): the file and the rows of it already committed. */
  position?: { file: number; row: number };
  /** Rows committed so far, over all the processes that wrote a part of the run. */
  rows: number;
  /** Rows the source expected when the run started (an estimate for tables), when it could tell. */
  total?: number;
  startedAt: string;
  /** Written with every chunk, and at least every `heartbeatMs` between chunks. */
  heartbeatAt: string;
  heartbeatMs: number;
  /** The process writing the run; null once it let go of it (stopped cleanly, finished, cancelled). */
  owner: { host: string; pid: number } | null;
  /** What the run reads, without secrets (kind, table or query, server, UNLOAD location). */
  source: Readonly<Record<string, string>>;
}

/** How long a running snapshot may go without a heartbeat before it is taken for dead. */
export function heartbeatStale(progress: SnapshotProgress, now: number): boolean {
  return now - Date.parse(progress.heartbeatAt) >= 2 * progress.heartbeatMs;
}

/** Another process is writing this run now: a second one must not take it over. */
export function heldByLiveProcess(progress: SnapshotProgress | undefined, now: number): boolean {
  return progress?.state === 'running' && progress.owner !== null && !heartbeatStale(progress, now);
}

/** How long reading the progress topic may take; a committed read waits for open transactions. */
const READ_TIMEOUT_MS = 60_000;

/**
 * The latest progress record of every table on the progress topic (none when it does not exist).
 * `committed` reads what committed transactions wrote: the exact state, once every earlier writer
 * of a table has been fenced. `uncommitted` also sees records of transactions still open, so a
 * heartbeat shows even while a live process holds a transaction open; it is for telling whether
 * a writer is alive, never for resuming.
 */
export async function readSnapshotProgress(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  topic: string,
  isolation: 'committed' | 'uncommitted',
): Promise<Map<string, SnapshotProgress>> {
  const latest = new Map<string, SnapshotProgress>();
  if (!(await admin.listTopics()).includes(topic)) return latest;
  // One partition (the topic is planned so): its end as of now is where the read stops.
  const [partition] = await admin.fetchTopicOffsets(topic);
  const end = BigInt(partition!.high);
  if (end <= BigInt(partition!.low)) return latest;
  const groupId = `tablelane-snapshot-read-${randomUUID()}`;
  const consumer = kafkajsOf(kafka).consumer({ groupId, readUncommitted: isolation === 'uncommitted' });
  let reached!: () => void;
  const done = new Promise<void>((resolve) => (reached = resolve));
  // Also fires for batches of transaction markers only, so a log ending in one is seen to end.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (BigInt(payload.lastOffset) + 1n >= end) reached();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const table = message.key?.toString('utf8');
        if (table === undefined || BigInt(message.offset) >= end) return;
        // A null value is a compacted topic's delete marker: the table's history was dropped.
        if (message.value === null) latest.delete(table);
        else latest.set(table, parseSnapshotProgress(message.value.toString('utf8'), topic));
      },
    });
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new TopicScanTimeout(
                `reading ${topic} did not reach its end within ${READ_TIMEOUT_MS} ms (a transaction of a killed snapshot stays open until it times out)`,
              ),
            ),
          READ_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return latest;
}

/** Checks the shape of a record: resuming from a wrong one would leave a hole in the refresh. */
export function parseSnapshotProgress(json: string, topic: string): SnapshotProgress {
  const value = JSON.parse(json) as Partial<SnapshotProgress> | null;
  const states: readonly unknown[] = ['running', 'done', 'cancelled'];
  const ok =
    typeof value?.run === 'string' &&
    typeof value.table === 'string' &&
    states.includes(value.state) &&
    (value.lastKey === null || (typeof value.lastKey === 'object' && value.lastKey !== undefined)) &&
    Number.isSafeInteger(value.rows) &&
    typeof value.startedAt === 'string' &&
    typeof value.heartbeatAt === 'string' &&
    Number.isSafeInteger(value.heartbeatMs) &&
    (value.owner === null || typeof value.owner?.host === 'string') &&
    typeof value.source === 'object' &&
    value.source !== null &&
    (value.position === undefined ||
      (Number.isSafeInteger(value.position.file) && Number.isSafeInteger(value.position.row)));
  if (!ok)
    throw new Error(`${topic} holds a snapshot progress record that is not one: ${json.slice(0, 200)}`);
  return value as SnapshotProgress;
}

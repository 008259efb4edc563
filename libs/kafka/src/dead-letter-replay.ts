import { TablelaneError } from '@app/config';
import type { Message } from 'kafkajs';
import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import {
  deadLetterId,
  matchesFilter,
  REPLAY_OF_HEADER,
  toDeadLetter,
  type DeadLetter,
  type DeadLetterFilter,
  type TableOfBody,
} from './dead-letter';
import { scanTopic, type OffsetRange } from './topic-range-reader';

export interface ReplayTopics {
  dlq: string;
  ingest: string;
  /** Compacted ledger of replayed dead letters (replayLedgerTopic(dlq)). */
  ledger: string;
}

export interface ReplayOptions {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  topics: ReplayTopics;
  filter: DeadLetterFilter;
  range: OffsetRange;
  tableOf: TableOfBody;
  /** Only find what would be replayed; write nothing. */
  dryRun: boolean;
  /** Bounds of one transaction, so it stays far below the brokers' request and message limits. */
  maxRecordsPerTransaction?: number;
  maxBytesPerTransaction?: number;
}

export interface ReplayReport {
  dryRun: boolean;
  /** Dead letters in the range that match the filter. */
  matched: number;
  /** Of those, already replayed by an earlier run (skipped). */
  alreadyReplayed: number;
  /** Re-published by this run (dry run: would be). */
  replayed: DeadLetter[];
  transactions: number;
}

/** The one transactional id of every replay of a dead-letter topic: a new run fences the last. */
export function replayTransactionalId(dlqTopic: string): string {
  return `tablelane-replay.${dlqTopic}`;
}

/**
 * Re-publishes selected dead letters to the ingest topic, exactly once per dead letter.
 *
 * Each replayed record and its entry in the ledger (a compacted topic keyed by
 * `<dlq>:<partition>:<offset>`) are written in one Kafka transaction: both become visible or
 * neither does, and the router reads ingest read_committed, so an aborted replay is never
 * routed. All replays of a dead-letter topic share one transactional id; the first
 * transaction of a run does InitProducerId, which aborts (or completes) any transaction a crashed or concurrent earlier
 * run left open and fences that run from committing another. Only then is the ledger read,
 * so it holds every replay that ever committed: a crash at any moment, or a second run,
 * replays nothing twice.
 */
export async function replayDeadLetters(options: ReplayOptions): Promise<ReplayReport> {
  const { kafka, admin, topics } = options;
  const producer = kafkajsOf(kafka).producer({
    transactionalId: replayTransactionalId(topics.dlq),
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    // kafkajs runs InitProducerId (the fence) on a producer's first transaction, not on
    // connect: begin one (nothing is sent yet, so ending it is local) before reading the ledger.
    await (await producer.transaction()).abort();
    const done = await readLedger(kafka, admin, topics.ledger);
    const ingestPartitions = (await admin.fetchTopicOffsets(topics.ingest)).length;
    const selected: DeadLetter[] = [];
    let matched = 0;
    await scanTopic(kafka, admin, topics.dlq, options.range, async (record) => {
      const letter = await toDeadLetter(record, options.tableOf);
      if (!matchesFilter(letter, options.filter)) return;
      matched++;
      if (!done.has(deadLetterId(topics.dlq, letter))) selected.push(letter);
    });
    const report = {
      dryRun: options.dryRun,
      matched,
      alreadyReplayed: matched - selected.length,
      replayed: selected,
      transactions: 0,
    };
    if (options.dryRun) return report;
    for (const chunk of chunks(
      selected,
      options.maxRecordsPerTransaction ?? 200,
      options.maxBytesPerTransaction ?? 512 * 1024,
    )) {
      const transaction = await producer.transaction();
      try {
        await transaction.sendBatch({
          acks: -1,
          topicMessages: [
            { topic: topics.ingest, messages: chunk.map((l) => replayedRecord(topics, l, ingestPartitions)) },
            { topic: topics.ledger, messages: chunk.map((l) => ledgerEntry(topics, l)) },
          ],
        });
        await transaction.commit();
      } catch (error) {
        if (transaction.isActive()) await transaction.abort().catch(() => undefined);
        throw new ReplayFailed(
          `replay stopped after ${report.transactions} transaction(s): ${(error as Error).message}; run it again, it skips what was replayed`,
          { cause: error },
        );
      }
      report.transactions++;
    }
    return report;
  } finally {
    await producer.disconnect();
  }
}

/** The ids of every dead letter a committed replay re-published (none when the ledger does not exist yet). */
export async function readLedger(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  ledger: string,
): Promise<Set<string>> {
  const done = new Set<string>();
  if (!(await admin.listTopics()).includes(ledger)) return done;
  await scanTopic(kafka, admin, ledger, {}, ({ key, value }) => {
    if (!key) return;
    // A compacted topic's delete marker (null value) would mean "forget it": honour it.
    if (value === null) done.delete(key.toString('utf8'));
    else done.add(key.toString('utf8'));
  });
  return done;
}

/**
 * The original key, bytes and headers, without the dead-letter headers (the router sets fresh
 * ones if it refuses the record again), marked with the dead letter it replays.
 */
function replayedRecord(topics: ReplayTopics, letter: DeadLetter, ingestPartitions: number): Message {
  const headers: Record<string, Buffer | string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (name.startsWith('tablelane.') || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value[value.length - 1]! : value;
  }
  headers[REPLAY_OF_HEADER] = deadLetterId(topics.dlq, letter);
  // The ingest partition it first came from, when it came from ingest; any partition works.
  const fromIngest = letter.source.topic === topics.ingest && letter.source.partition !== undefined;
  const partition = fromIngest
    ? letter.source.partition! % ingestPartitions
    : Number(letter.offset % BigInt(ingestPartitions));
  return { key: letter.key, value: letter.value, headers, partition };
}

function ledgerEntry(topics: ReplayTopics, letter: DeadLetter): Message {
  return {
    key: deadLetterId(topics.dlq, letter),
    value: JSON.stringify({
      code: letter.code,
      table: letter.table ?? null,
      replayedAt: new Date().toISOString(),
    }),
    partition: 0,
  };
}

function* chunks(letters: DeadLetter[], maxRecords: number, maxBytes: number): Generator<DeadLetter[]> {
  let chunk: DeadLetter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const size = (letter.value?.length ?? 0) + (letter.key?.length ?? 0);
    if (chunk.length > 0 && (chunk.length >= maxRecords || bytes + size > maxBytes)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(letter);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** A replay transaction failed (fenced by a newer run, broker down). Running it again is safe. */
export class ReplayFailed extends TablelaneError {
  readonly code = 'REPLAY_FAILED';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplayFailed';
  }
}

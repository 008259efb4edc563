import { TablelaneError } from '@app/config';
import type { Message, Producer } from 'kafkajs';
import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import { messageBudget, readMaxMessageBytes, recordSizeUpperBound, splitToFit } from './message-limits';
import { classifyFailure } from './pipeline-failure';
import type { SnapshotProgress } from './snapshot-progress';

export interface SnapshotWriterOptions {
  kafka: KafkaClient;
  admin: KafkaAdmin;
  table: string;
  changesTopic: string;
  /** The table's lane: its partition of the changes topic, from the lane baseline. */
  lane: number;
  progressTopic: string;
  /**
   * How long the broker keeps a transaction of a killed process open (and the lane's readers
   * waiting at it) before aborting it; a restarted snapshot fences it at once instead.
   */
  transactionTimeoutMs?: number;
}

/** Writes one table's snapshot: every call is one Kafka transaction, or nothing. */
export interface SnapshotWriter {
  /** The largest lane value one event may have, in bytes (the changes topic's limit). */
  readonly maxEventBytes: number;
  /**
   * Writes `events` (JSON values) onto the lane in order and `progress` onto the progress topic,
   * in one transaction. Throws SnapshotFenced when another process took the table's
   * transactional id (a newer snapshot, or `snapshot cancel`).
   */
  commit(events: readonly string[], progress: SnapshotProgress): Promise<void>;
  close(): Promise<void>;
}

/**
 * The one transactional id of a table's snapshots onto a changes topic: a second process of the
 * same table fences the first, whatever host it runs on. The changes topic is part of it so two
 * deployments sharing a cluster never fence each other.
 */
export function snapshotTransactionalId(changesTopic: string, table: string): string {
  return `tablelane-snapshot.${changesTopic}.${table}`;
}

/**
 * Connects the table's transactional producer and fences every earlier writer of the table:
 * their open transaction is aborted (its rows never become visible to read_committed readers)
 * and any later commit of theirs fails. Read the progress only after this, so it is final.
 */
export async function openSnapshotWriter(options: SnapshotWriterOptions): Promise<SnapshotWriter> {
  const { kafka, admin, changesTopic, progressTopic } = options;
  const limits = await readMaxMessageBytes(admin, [changesTopic, progressTopic]);
  const producer = kafkajsOf(kafka).producer({
    transactionalId: snapshotTransactionalId(changesTopic, options.table),
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    transactionTimeout: options.transactionTimeoutMs ?? 30_000,
  });
  await producer.connect();
  try {
    // kafkajs runs InitProducerId (the fence) on the first transaction, not on connect: begin
    // one and end it (nothing was sent, so the abort is local).
    await (await producer.transaction()).abort();
  } catch (error) {
    await producer.disconnect().catch(() => undefined);
    throw fencedOr(error, options.table);
  }
  return new KafkajsSnapshotWriter(producer, options, (topic) => messageBudget(limits.get(topic)!));
}

class KafkajsSnapshotWriter implements SnapshotWriter {
  readonly maxEventBytes: number;

  constructor(
    private readonly producer: Producer,
    private readonly options: SnapshotWriterOptions,
    private readonly budgetOf: (topic: string) => number,
  ) {
    // The bound counts the key (the table name) and the record's framing too.
    const framing = recordSizeUpperBound({ key: options.table, value: '' });
    this.maxEventBytes = budgetOf(options.changesTopic) - framing;
  }

  async commit(events: readonly string[], progress: SnapshotProgress): Promise<void> {
    const { table, changesTopic, lane, progressTopic } = this.options;
    const messages = [
      ...events.map((value) => ({ topic: changesTopic, partition: lane, key: table, value })),
      { topic: progressTopic, partition: 0, key: table, value: JSON.stringify(progress) },
    ];
    const transaction = await this.producer.transaction().catch((error: unknown) => {
      throw fencedOr(error, table);
    });
    try {
      // Each send is one produce request: split so the lane's share fits its topic's limit.
      for (const group of splitToFit(messages, this.budgetOf)) {
        await transaction.sendBatch({ acks: -1, topicMessages: byTopic(group) });
      }
      await transaction.commit();
    } catch (error) {
      if (transaction.isActive()) await transaction.abort().catch(() => undefined);
      throw fencedOr(error, table);
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

function byTopic(messages: (Message & { topic: string })[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, ...message } of messages) {
    const list = topics.get(topic) ?? [];
    list.push(message);
    topics.set(topic, list);
  }
  return [...topics].map(([topic, list]) => ({ topic, messages: list }));
}

/** Kafka's answers to a producer whose transactional id has a newer owner. */
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

function fencedOr(error: unknown, table: string): unknown {
  return FENCED.has(classifyFailure(error, 'kafka').code) ? new SnapshotFenced(table, error) : error;
}

/**
 * Another process took this table's snapshot transactional id: a newer `tablelane snapshot` of
 * the table, or `tablelane snapshot cancel`. This process must stop; what it had not committed
 * was aborted.
 */
export class SnapshotFenced extends TablelaneError {
  readonly code = 'SNAPSHOT_FENCED';
  readonly retriable = false;
  constructor(
    readonly table: string,
    cause: unknown,
  ) {
    super(`another process took over the snapshot of ${table} (a newer snapshot or snapshot cancel)`, {
      cause,
    });
    this.name = 'SnapshotFenced';
  }
}

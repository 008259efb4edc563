import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { RecordHeaders } from './batch-consumer.port';
import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import type { KafkaLogger } from './kafka-client';
import { DEFAULT_MAX_MESSAGE_BYTES, messageBudget, splitToFit } from './message-limits';
import { classifyFailure, type PipelineFailure } from './pipeline-failure';

// The size rules and failure kinds are part of the pipeline's API (the sink's dead-letter
// writer splits the same way).
export * from './message-limits';
export * from './pipeline-failure';

/** One record of the input topic, as the transform sees it. */
export interface PipelineRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
}

/** One record to write, inside the same transaction as the input offsets. */
export interface PipelineOutput {
  topic: string;
  /** Explicit partition; the lanes of tablelane are never left to a partitioner. */
  partition: number;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
}

export interface TransactionalPipelineOptions {
  kafka: KafkaClient;
  groupId: string;
  /** The topics read (the ingest topic, and CDC feeds' source topics), all from the start. */
  inputTopics: readonly string[];
  /** Each input partition gets its own transactional id: `<prefix>.<topic>.<partition>`. */
  transactionalIdPrefix: string;
  /**
   * Turns a batch of input records into the records to write. Bad data should be turned into
   * outputs (dead letters). Throwing an error with `retriable: true` means "nothing is known
   * yet" (e.g. the registry is down): the transaction is aborted and the batch retried with
   * backoff. Any other error is taken as caused by a record: the batch is split until that
   * record is alone, and it becomes `deadLetter(record, failure)`.
   */
  transform(records: PipelineRecord[]): Promise<PipelineOutput[]>;
  /**
   * The output for a record that fails alone (its transform throws, or the broker refuses
   * what it became). Keep it small: it must fit where the record itself did not.
   */
  deadLetter(record: PipelineRecord, failure: PipelineFailure): Promise<PipelineOutput>;
  /** Effective `max.message.bytes` per output topic; a topic not in it gets the broker default. */
  maxMessageBytes?: ReadonlyMap<string, number>;
  logger: KafkaLogger;
  /** Called when the consumer stopped for good; the process should exit and be restarted. */
  onFatal(error: Error): void;
  /** Called after a batch's transaction committed, with what it wrote (for metrics). */
  onCommitted?(records: PipelineRecord[], outputs: PipelineOutput[], seconds: number): void;
  /** Called when a batch's transaction failed and will be retried or split; `code` as classified. */
  onRetry?(error: Error, code: string): void;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  partitionsConsumedConcurrently?: number;
  /**
   * How long the broker may hold a fetch to gather `fetchMinBytes` of input: each fetch of a
   * partition becomes one transaction, and a transaction costs the broker about the same
   * whatever it carries, so under load fetches should be full, not one record each.
   */
  fetchMaxWaitMs?: number;
  fetchMinBytes?: number;
  transactionTimeoutMs?: number;
  retryBackoffMs?: number;
}

interface PartitionLane {
  producer?: Producer;
  /** False until this generation's committed offset was re-read after fencing older writers. */
  verified: boolean;
}

/**
 * Exactly-once consume-transform-produce with Kafka transactions: for every batch of an
 * input partition, the outputs and the next input offset are committed in one transaction,
 * so either both are visible to read_committed readers or neither is.
 *
 * kafkajs does not implement KIP-447 (fencing by consumer group generation), so this follows
 * the pre-KIP-447 recipe of the Java client: one transactional id per input partition. When
 * a partition moves to another instance, or a crashed instance restarts, the new owner's
 * InitProducerId bumps the epoch of that id, which aborts the old owner's open transaction
 * and fences it from committing another one.
 */
export class TransactionalPipeline {
  private readonly consumer: Consumer;
  private readonly admin: KafkaAdmin;
  /** By `laneId(topic, partition)`: one producer, so one transactional id, per input partition. */
  private readonly lanes = new Map<string, PartitionLane>();
  private stopping = false;
  private consuming = false;

  constructor(private readonly options: TransactionalPipelineOptions) {
    this.consumer = kafkajsOf(options.kafka).consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      minBytes: options.fetchMinBytes ?? 64 * 1024,
      maxWaitTimeInMs: options.fetchMaxWaitMs ?? 100,
      // read_committed: only committed input is routed (producers may be transactional too).
      readUncommitted: false,
    });
    this.admin = options.kafka.admin();
  }

  async start(): Promise<void> {
    const { consumer, options } = this;
    await this.admin.connect();
    await consumer.connect();
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment;
      const assigned = new Set(
        Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => laneId(topic, p))),
      );
      options.logger.info({ groupId: options.groupId, partitions: assignment }, 'router partitions assigned');
      for (const [id, lane] of this.lanes) {
        // A partition may have had another owner since we last wrote it: verify again.
        lane.verified = false;
        if (!assigned.has(id)) void this.dropProducer(id);
      }
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.consuming = false;
      if (!event.payload.restart && !this.stopping) options.onFatal(event.payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => (this.consuming = true));
    await consumer.subscribe({ topics: [...options.inputTopics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** In a group and fetching: for readiness probes. */
  get isConsuming(): boolean {
    return this.consuming && !this.stopping;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
    await Promise.all([...this.lanes.keys()].map((id) => this.dropProducer(id)));
    await this.admin.disconnect();
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const records: PipelineRecord[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: m.headers ?? {},
    }));
    // The last range ends at the batch's last offset, which may lie past its last record
    // (transaction markers): committing it keeps the group from fetching the markers again.
    await this.processRange(payload, records, batch.lastOffset(), process.hrtime.bigint());
  }

  /**
   * Routes records and commits them with the offset after `lastOffset` in one transaction.
   * Transient failures retry the range with backoff. A failure the records themselves cause
   * splits the range in halves, each committed on its own, until the one record at fault is
   * alone: that one is committed as the dead letter `options.deadLetter` makes of it, so a bad
   * record costs one dead letter instead of stopping the partition.
   */
  private async processRange(
    payload: EachBatchPayload,
    records: PipelineRecord[],
    lastOffset: string,
    started: bigint,
  ): Promise<'committed' | 'stopped'> {
    const { isRunning, isStale, heartbeat } = payload;
    const { topic, partition } = payload.batch;
    let quarantine: PipelineFailure | undefined;
    for (let attempt = 1; isRunning() && !isStale(); attempt++) {
      const outcome = await this.attemptRange(payload, records, lastOffset, started, quarantine);
      if (outcome.kind !== 'failed') return outcome.kind;
      const { failure } = outcome;
      this.options.onRetry?.(failure.error, failure.code);
      if (failure.recordAtFault && quarantine === undefined) {
        if (records.length > 1) {
          const half = Math.ceil(records.length / 2);
          const first = records.slice(0, half);
          const rest = records.slice(half);
          this.options.logger.debug(
            { topic, partition, from: records[0]!.offset, records: records.length, code: failure.code },
            'router splitting a failing range to find the record at fault',
          );
          const firstOutcome = await this.processRange(payload, first, first.at(-1)!.offset, started);
          if (firstOutcome === 'stopped') return 'stopped';
          return this.processRange(payload, rest, lastOffset, started);
        }
        quarantine = failure;
        continue;
      }
      const backoff = Math.min(30_000, (this.options.retryBackoffMs ?? 200) * 2 ** Math.min(attempt - 1, 8));
      // Expected retries (a transaction still settling) and repeats of one failure are
      // debug lines; the first failure and every doubling of the count stay visible.
      const loud = !failure.expected && (attempt & (attempt - 1)) === 0;
      this.options.logger[loud ? 'warn' : 'debug'](
        {
          topic,
          partition,
          offset: records[0]!.offset,
          attempt,
          code: failure.code,
          error: truncate(failure.error.message),
          retryInMs: backoff,
        },
        quarantine ? 'router cannot write a dead letter; retrying' : 'router transaction failed; retrying',
      );
      await sleep(backoff);
      // Rebalance errors from the heartbeat propagate so kafkajs rejoins the group.
      await heartbeat();
    }
    return 'stopped';
  }

  private async attemptRange(
    { resolveOffset, heartbeat }: EachBatchPayload,
    records: PipelineRecord[],
    lastOffset: string,
    started: bigint,
    quarantine: PipelineFailure | undefined,
  ): Promise<{ kind: 'committed' | 'stopped' } | { kind: 'failed'; failure: PipelineFailure }> {
    const { topic, partition } = records[0]!;
    const firstOffset = records[0]!.offset;
    const id = laneId(topic, partition);
    const lane = this.laneOf(id);
    let transaction: Awaited<ReturnType<Producer['transaction']>> | undefined;
    let stage: 'transform' | 'kafka' = 'kafka';
    try {
      const producer = await this.producerFor(id, lane);
      // The first transaction of a producer runs InitProducerId, which fences older owners
      // of this partition and settles their open transaction (commit or abort).
      transaction = await producer.transaction();
      if (!lane.verified) {
        const committed = await this.committedOffset(topic, partition);
        lane.verified = true;
        if (committed !== undefined && committed !== firstOffset) {
          // Our fetch position was read before the fence: an older owner committed more (or
          // less) since. Restart from what is committed now, or we would route twice.
          await transaction.abort();
          this.options.logger.warn(
            { topic, partition, fetched: firstOffset, committed },
            'router re-seeking to the committed offset after fencing',
          );
          this.consumer.seek({ topic, partition, offset: committed });
          return { kind: 'stopped' };
        }
      }
      stage = 'transform';
      const outputs = quarantine
        ? [await this.options.deadLetter(records[0]!, quarantine)]
        : await this.options.transform(records);
      stage = 'kafka';
      // Each send is one produce request: split so every partition's share fits its topic.
      for (const group of splitToFit(outputs, (t) => this.budgetOf(t))) {
        await transaction.sendBatch({ acks: -1, topicMessages: groupByTopic(group) });
      }
      await transaction.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
      });
      // The one commit point: outputs and the input offset become visible together.
      await transaction.commit();
      this.options.logger.debug(
        { topic, partition, from: firstOffset, to: lastOffset, outputs: outputs.length },
        'batch committed',
      );
      resolveOffset(lastOffset);
      this.options.onCommitted?.(records, outputs, Number(process.hrtime.bigint() - started) / 1e9);
      await heartbeat();
      return { kind: 'committed' };
    } catch (error) {
      if (transaction?.isActive()) await transaction.abort().catch(() => undefined);
      // After a fence or a failed commit the producer's state is unknown: start afresh.
      await this.dropProducer(id);
      return { kind: 'failed', failure: classifyFailure(error, stage) };
    }
  }

  private budgetOf(topic: string): number {
    return messageBudget(this.options.maxMessageBytes?.get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES);
  }

  private laneOf(id: string): PartitionLane {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { verified: false };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private async producerFor(id: string, lane: PartitionLane): Promise<Producer> {
    if (lane.producer) return lane.producer;
    const producer = kafkajsOf(this.options.kafka).producer({
      transactionalId: `${this.options.transactionalIdPrefix}.${id}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.options.transactionTimeoutMs ?? 60_000,
    });
    await producer.connect();
    lane.producer = producer;
    lane.verified = false;
    return producer;
  }

  private async dropProducer(id: string): Promise<void> {
    const lane = this.lanes.get(id);
    const producer = lane?.producer;
    if (!lane || !producer) return;
    lane.producer = undefined;
    lane.verified = false;
    await producer.disconnect().catch(() => undefined);
  }

  private async committedOffset(topic: string, partition: number): Promise<string | undefined> {
    const [offsets] = await this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const offset = offsets?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || offset === '-1' ? undefined : offset;
  }
}

function groupByTopic(outputs: PipelineOutput[]) {
  const byTopic = new Map<string, PipelineOutput[]>();
  for (const output of outputs) {
    const list = byTopic.get(output.topic) ?? [];
    list.push(output);
    byTopic.set(output.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({
    topic,
    messages: messages.map((m) => ({
      partition: m.partition,
      key: m.key,
      value: m.value,
      headers: m.headers,
    })),
  }));
}

/** Log fields stay short: a broker or transform error can quote a whole record. */
const truncate = (text: string, max = 500) => (text.length > max ? `${text.slice(0, max)}…` : text);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An input partition's name in the lanes map and its transactional id: `<topic>.<partition>`. */
function laneId(topic: string, partition: number): string {
  return `${topic}.${partition}`;
}

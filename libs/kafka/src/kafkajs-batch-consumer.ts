import type { Consumer, Kafka } from 'kafkajs';
import {
  GroupMembershipLost,
  type BatchConsumer,
  type BatchConsumerOptions,
  type BatchHandler,
  type GroupListener,
} from './batch-consumer.port';

// The coordinator's answers that mean this member's generation is over (Kafka protocol errors).
const NOT_A_MEMBER = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
]);

/** kafkajs wraps the coordinator's answer (retry exhaustion keeps it as the cause). */
export function isGenerationOver(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && NOT_A_MEMBER.has(e.type)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** The BatchConsumer port on a kafkajs consumer: manual commits, read_committed, no auto-resolve. */
export class KafkajsBatchConsumer implements BatchConsumer {
  private readonly consumer: Consumer;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
    /** Fails the start at once when the cluster refuses our TLS or SASL settings. */
    private readonly checkConnection: () => Promise<void> = async () => undefined,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      // Only committed records: a producer's aborted transaction never reaches the handler.
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
      maxBytesPerPartition: options.maxBytesPerPartition,
      // Fuller fetches under load (fewer, larger batches for the broker and the intake); the
      // wait is far below the sinks' flush interval, so it costs no end-to-end latency to speak of.
      minBytes: 64 * 1024,
      maxWaitTimeInMs: 100,
    });
  }

  async start(topic: string, handler: BatchHandler, listener: GroupListener): Promise<void> {
    const { consumer } = this;
    await this.checkConnection();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const { REBALANCING, GROUP_JOIN, END_BATCH_PROCESS, CRASH } = consumer.events;
    consumer.on(CRASH, ({ payload }) => {
      if (!payload.restart) listener.failed(payload.error);
    });
    consumer.on(REBALANCING, () => listener.rebalancing());
    consumer.on(GROUP_JOIN, ({ payload }) => listener.joined(payload.memberAssignment));
    // kafkajs never calls eachBatch for a fetch holding only control records or aborted
    // records; it resolves the offset itself and reports the fetch here.
    consumer.on(END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && payload.lastOffset !== null)
        listener.skipped(payload.partition, String(payload.lastOffset));
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency,
      eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
        handler({
          topic: batch.topic,
          partition: batch.partition,
          // kafkajs' messages as they are: no copy per record on the hot path.
          records: batch.messages,
          firstOffset: () => batch.firstOffset(),
          lastOffset: () => batch.lastOffset(),
          resolveOffset,
          heartbeat,
          isCurrent: () => isRunning() && !isStale(),
        }),
    });
  }

  pause(topic: string, partitions?: number[]): void {
    this.consumer.pause([{ topic, partitions }]);
  }

  resume(topic: string, partitions?: number[]): void {
    this.consumer.resume([{ topic, partitions }]);
  }

  async commit(topic: string, partition: number, offset: string): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset }]);
    } catch (error) {
      if (isGenerationOver(error)) throw new GroupMembershipLost(this.options.groupId, { cause: error });
      throw error;
    }
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

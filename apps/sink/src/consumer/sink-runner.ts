import { findTable, type TableContract, type TablelaneConfig } from '@app/config';
import { ChangeRejected, parseChangeJson } from '@app/contracts';
import type { Logger } from '@app/observability';
import { FencedError, errorCode, isLockTimeout, type Destination } from '@app/warehouse';
import {
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import type { BatchStager } from '../flush/batch-stager';
import { hitFaultPoint } from '../flush/fault-points';
import { withRetry } from '../flush/retry';
import { Lane, oldestPending, type TableLane } from '../lane/lane';
import { reduceBatch } from '../lane/reduce-batch';
import { LockPolicyFailure, LockWatch, type LockEpisode } from '../locks/lock-watch';
import type { SinkMetrics } from '../metrics/sink-metrics';
import { sendDeadLetter } from './dead-letters';

const LAG_PROBE_MS = Number(process.env.TABLELANE_LAG_PROBE_MS ?? 2000);

export interface SinkRunnerOptions {
  config: TablelaneConfig;
  kafka: Kafka;
  destination: Destination;
  stager: BatchStager;
  metrics: SinkMetrics;
  logger: Logger;
  groupId: string;
  /** Identifies this process in checkpoint rows (`owner`). */
  ownerId: string;
  /** Lanes processed at once; each has its own connection during a flush. */
  concurrency: number;
  /** How long the group waits for a silent member (a killed process) before moving its lanes. */
  sessionTimeoutMs: number;
}

export interface LaneStatus {
  partition: number;
  tables: string[];
  lagMessages: number;
  bufferedRows: number;
  oldestAgeSeconds: number;
  rowsPerSecond: number;
  deadLetters: number;
  lastOffset: number;
  committedOffset: number;
  lastCommitAt: string | null;
  failed: string | null;
}

export interface SinkStatus {
  owner: string;
  generation: number;
  consuming: boolean;
  paused: boolean;
  lanes: LaneStatus[];
  blocked: LockEpisode[];
}

/**
 * Consumes the changes topic and drives every lane this process owns:
 * buffer -> reduce -> stage -> load + merge + checkpoint (one transaction) -> Kafka commit.
 *
 * Taking messages in never waits for a flush, so the consumer keeps heartbeating while a flush
 * retries (a lock held by a user, a warehouse restart); buffers grow until the memory limit
 * pauses consumption, and resume after a flush frees memory.
 */
export class SinkRunner {
  private readonly consumer: Consumer;
  private readonly dlq: Producer;
  private readonly locks: LockWatch;
  private readonly targets = new Map<string, Promise<void>>();
  private lanes = new Map<number, Lane>();
  private stoppedPartitions = new Map<number, string>();
  private generation = 0;
  private running = false;
  private paused = false;
  private inFlight = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;
  private readonly admin: Admin;

  constructor(private readonly o: SinkRunnerOptions) {
    this.consumer = o.kafka.consumer({
      groupId: o.groupId,
      // Only changes the router committed: a router crash never leaks half a transaction.
      readUncommitted: false,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(o.sessionTimeoutMs / 10)),
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.dlq = o.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
    });
    this.admin = o.kafka.admin();
    this.locks = new LockWatch(o.destination, o.metrics, o.logger, o.config.warehouse.lockTimeoutMs);
  }

  async start(): Promise<void> {
    const { config, destination, logger } = this.o;
    this.running = true;
    // tablelane's own tables first: claims need them, and nobody else locks them.
    for (const contract of config.tables) {
      await withRetry(() => destination.prepareState(contract), {
        shouldContinue: () => this.running,
        onRetry: (error, attempt, delayMs, code) =>
          logger.warn(
            { table: contract.name, attempt, delayMs, code, err: error },
            'preparing state tables failed; retrying',
          ),
      });
    }
    // Target DDL may wait for users' locks: start it now, but let flushes of other tables go on.
    for (const contract of config.tables) void this.ensureTarget(contract).catch(() => undefined);
    await this.dlq.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [config.topics.changes], fromBeginning: true });
    const { REBALANCING, GROUP_JOIN } = this.consumer.events;
    // Any rebalance may move lanes: drop every buffer at once. The new owner (maybe us again)
    // re-reads from the committed offsets and skips what the checkpoints show applied.
    this.consumer.on(REBALANCING, () => this.newGeneration('rebalancing'));
    // kafkajs never calls eachBatch for a fetch holding only control records or aborted
    // changes; it resolves the offset itself. Take those offsets in, to commit them.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const lane = this.lanes.get(payload.partition);
      if (
        payload.batchSize === 0 &&
        lane &&
        lane.generation === this.generation &&
        payload.lastOffset !== null
      ) {
        lane.advance(Number(payload.lastOffset));
      }
    });
    this.consumer.on(GROUP_JOIN, (event) => {
      this.newGeneration('joined');
      logger.info(
        { assignment: event.payload.memberAssignment, generation: this.generation },
        'joined the sink group',
      );
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.concurrency,
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
    this.timer = setInterval(() => this.flushDueLanes(), 100);
    await this.admin.connect();
    this.lagTimer = setInterval(() => void this.refreshLag(), LAG_PROBE_MS);
  }

  /**
   * Lag per lane and table as operators watch it: messages past the group's committed offset
   * (from the cluster) and seconds behind (the oldest change not yet in the warehouse).
   */
  private async refreshLag(): Promise<void> {
    const topic = this.o.config.topics.changes;
    try {
      const [ends, committed] = await Promise.all([
        this.admin.fetchTopicOffsets(topic),
        this.admin.fetchOffsets({ groupId: this.o.groupId, topics: [topic] }),
      ]);
      const high = new Map(ends.map((p) => [p.partition, Number(p.high)]));
      const done = new Map(committed[0]!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
      const { laneLagMessages, tableLagMessages, tableLagSeconds } = this.o.metrics;
      laneLagMessages.reset();
      tableLagMessages.reset();
      tableLagSeconds.reset();
      const now = Date.now();
      for (const lane of this.lanes.values()) {
        lane.lagMessages = Math.max(0, (high.get(lane.partition) ?? 0) - (done.get(lane.partition) ?? 0));
        const partition = String(lane.partition);
        laneLagMessages.set({ partition }, lane.lagMessages);
        for (const [table, state] of lane.tables) {
          tableLagMessages.set({ table, partition }, lane.lagMessages);
          tableLagSeconds.set({ table }, (now - (oldestPending(state) ?? now)) / 1000);
        }
      }
    } catch (error) {
      this.o.logger.debug({ err: error }, 'lag probe failed; next probe retries');
    }
  }

  /**
   * Graceful stop: stop fetching, let in-flight work finish, flush and commit what is
   * buffered while the group membership is still valid, then leave the group.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    clearInterval(this.timer);
    clearInterval(this.lagTimer);
    this.consumer.pause([{ topic: this.o.config.topics.changes }]);
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled([...this.lanes.values()].map((lane) => this.flushLane(lane)));
    this.running = false;
    await this.consumer.disconnect();
    await this.dlq.disconnect();
    await this.admin.disconnect();
  }

  status(): SinkStatus {
    const now = Date.now();
    const lanes = [...this.lanes.values()].map((lane) => ({
      partition: lane.partition,
      tables: [...lane.tables.keys()],
      lagMessages: lane.lagMessages,
      bufferedRows: lane.bufferedRows,
      oldestAgeSeconds: lane.oldestAgeSeconds(now),
      rowsPerSecond: lane.rowsPerSecond(now),
      deadLetters: lane.deadLetters,
      lastOffset: lane.lastOffset,
      committedOffset: lane.committedOffset,
      lastCommitAt: lane.lastCommitAt,
      failed: null as string | null,
    }));
    for (const [partition, reason] of this.stoppedPartitions) {
      lanes.push({
        partition,
        tables: [],
        lagMessages: 0,
        bufferedRows: 0,
        oldestAgeSeconds: 0,
        rowsPerSecond: 0,
        deadLetters: 0,
        lastOffset: -1,
        committedOffset: -1,
        lastCommitAt: null,
        failed: reason,
      });
    }
    return {
      owner: this.o.ownerId,
      generation: this.generation,
      consuming: this.running,
      paused: this.paused,
      lanes: lanes.sort((a, b) => a.partition - b.partition),
      blocked: this.locks.current(),
    };
  }

  get isConsuming(): boolean {
    return this.running;
  }

  private newGeneration(reason: string): void {
    this.generation++;
    this.lanes = new Map();
    this.stoppedPartitions = new Map();
    this.o.logger.info(
      { generation: this.generation, reason },
      'lane buffers dropped for a new group generation',
    );
    if (this.running) this.consumer.resume([{ topic: this.o.config.topics.changes }]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { partition, topic } = batch;
    if (this.stoppedPartitions.has(partition)) return;
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = new Lane(topic, partition, this.generation);
      this.lanes.set(partition, lane);
    }
    let complete = true;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || lane.generation !== this.generation || lane.fenced) {
        complete = false;
        break;
      }
      await this.take(lane, message);
      resolveOffset(message.offset);
    }
    if (complete) {
      // The batch may end with control records (commit markers of the router's transactions):
      // take them in too, or the committed offset would stop short of them and lag never reach 0.
      lane.advance(Number(batch.lastOffset()));
      resolveOffset(batch.lastOffset());
    }
    if (!lane.flushing && lane.isDue(Date.now())) void this.track(this.flushLane(lane));
    this.applyBackpressure();
    await heartbeat();
  }

  /** Adds one message to its lane: buffered, skipped as already applied, or dead-lettered. */
  private async take(lane: Lane, message: KafkaMessage): Promise<void> {
    const offset = Number(message.offset);
    const text = message.value?.toString('utf8') ?? '';
    try {
      const change = parseChangeJson(this.o.config, text);
      const table = await this.tableLane(lane, findTable(this.o.config, change.table)!);
      this.o.metrics.changesConsumed.inc({ table: change.table });
      if (offset <= table.claim.lastOffset) {
        this.o.metrics.changesSkipped.inc({ table: change.table });
      } else {
        table.buffer.push({ offset, change, bytes: text.length, receivedAt: Date.now() });
        table.bytes += text.length;
      }
    } catch (error) {
      if (!(error instanceof ChangeRejected)) throw error;
      await sendDeadLetter(
        this.dlq,
        this.o.config.topics.dlq,
        {
          topic: lane.topic,
          partition: lane.partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
        },
        error,
        'sink',
      );
      this.o.metrics.deadLetters.inc({ code: error.code });
      lane.deadLetters++;
      this.o.logger.warn(
        { partition: lane.partition, offset: message.offset, code: error.code, reason: error.message },
        'change refused; sent to the dead-letter topic',
      );
    }
    lane.advance(offset);
  }

  private async tableLane(lane: Lane, contract: TableContract): Promise<TableLane> {
    const existing = lane.tables.get(contract.name);
    if (existing) return existing;
    const claim = await withRetry(
      () => this.o.destination.claimLane(contract, lane.topic, lane.partition, this.o.ownerId),
      {
        shouldContinue: () => lane.generation === this.generation,
        onRetry: (error, attempt, delayMs, code) => {
          this.o.metrics.retries.inc({ table: contract.name, code });
          this.o.logger.warn(
            { table: contract.name, partition: lane.partition, attempt, delayMs, code, err: error },
            'claiming lane failed; retrying',
          );
        },
      },
    );
    this.o.logger.info(
      { table: contract.name, partition: lane.partition, checkpoint: claim.lastOffset, epoch: claim.epoch },
      'lane claimed',
    );
    const table: TableLane = { contract, claim, buffer: [], bytes: 0 };
    lane.tables.set(contract.name, table);
    return table;
  }

  /**
   * Creates or alters the target table once per process. Lock timeouts retry with backoff
   * (and go through the table's lock policy); callers share the one attempt in progress.
   */
  private ensureTarget(contract: TableContract): Promise<void> {
    let ready = this.targets.get(contract.name);
    if (!ready) {
      const ddlTimeoutMs = this.o.config.warehouse.ddlLockTimeoutMs;
      ready = withRetry(() => this.o.destination.prepareTarget(contract), {
        shouldContinue: () => this.running,
        onRetry: async (error, attempt, delayMs, code) => {
          this.o.metrics.retries.inc({ table: contract.name, code });
          if (isLockTimeout(error)) return this.locks.onLockTimeout(contract, true, ddlTimeoutMs);
          this.o.logger.warn(
            { table: contract.name, attempt, delayMs, code, err: error },
            'preparing the target table failed; retrying',
          );
        },
      }).then(() => this.locks.onSuccess(contract));
      ready.catch(() => this.targets.delete(contract.name));
      this.targets.set(contract.name, ready);
    }
    return ready;
  }

  private flushDueLanes(): void {
    const now = Date.now();
    for (const lane of this.lanes.values()) {
      this.o.metrics.laneOldestSeconds.set({ partition: String(lane.partition) }, lane.oldestAgeSeconds(now));
      if (!lane.flushing && lane.isDue(now)) void this.track(this.flushLane(lane));
    }
  }

  /** Flushes every buffered table of a lane, then commits the lane's offset to Kafka. */
  private flushLane(lane: Lane): Promise<void> {
    lane.flushing = true;
    return lane
      .exclusive(async () => {
        if (lane.generation !== this.generation || lane.fenced || !lane.hasUncommittedProgress) return;
        const upTo = lane.lastOffset;
        const drained = lane.drain();
        try {
          for (const { table, changes } of drained) {
            await this.flushTable(lane, table, changes, upTo);
            table.inFlight = undefined;
          }
        } catch (error) {
          for (const { table } of drained) table.inFlight = undefined;
          this.onFlushFailed(lane, drained, error);
          return;
        }
        await this.commitLane(lane, upTo);
      })
      .finally(() => {
        lane.flushing = false;
        this.o.metrics.bufferedBytes.set(this.bufferedBytes());
      });
  }

  private async flushTable(
    lane: Lane,
    table: TableLane,
    changes: TableLane['buffer'],
    upTo: number,
  ): Promise<void> {
    const { contract } = table;
    const started = Date.now();
    const rows = reduceBatch(contract, changes);
    await this.ensureTarget(contract);
    await withRetry(
      async () => {
        const staged = await this.o.stager.stage(
          contract,
          lane.topic,
          lane.partition,
          changes[0]!.offset,
          upTo,
          rows,
        );
        await this.o.destination.applyBatch({
          contract,
          topic: lane.topic,
          partition: lane.partition,
          claim: table.claim,
          nextOffset: upTo,
          rowCount: rows.length,
          ...staged,
        });
      },
      {
        shouldContinue: () => lane.generation === this.generation && this.running,
        onRetry: async (error, attempt, delayMs, code) => {
          this.o.metrics.retries.inc({ table: contract.name, code });
          if (isLockTimeout(error)) return this.locks.onLockTimeout(contract, false);
          this.o.logger.warn(
            { table: contract.name, partition: lane.partition, attempt, delayMs, code, err: error },
            'flush failed; retrying',
          );
        },
      },
    );
    this.locks.onSuccess(contract);
    table.claim = { lastOffset: upTo, epoch: table.claim.epoch };
    const seconds = (Date.now() - started) / 1000;
    const labels = { table: contract.name };
    this.o.metrics.flushes.inc(labels);
    this.o.metrics.rowsMerged.inc(labels, rows.length);
    lane.recordMerge(rows.length);
    this.o.metrics.batchRows.observe(labels, changes.length);
    this.o.metrics.flushSeconds.observe(labels, seconds);
    const committedAt = Date.now();
    for (const { change } of changes) {
      if (change.ts)
        this.o.metrics.endToEndSeconds.observe(labels, Math.max(0, committedAt - change.ts) / 1000);
    }
    this.o.logger.debug(
      {
        table: contract.name,
        partition: lane.partition,
        offset: upTo,
        changes: changes.length,
        rows: rows.length,
        seconds,
      },
      'batch committed',
    );
  }

  private async commitLane(lane: Lane, upTo: number): Promise<void> {
    if (upTo + 1 <= lane.committedOffset || lane.generation !== this.generation) return;
    hitFaultPoint('after-commit');
    try {
      // Offsets are committed only after every table of the flush is durable in the warehouse:
      // a crash before this line re-reads changes that the checkpoints then skip.
      await this.consumer.commitOffsets([
        { topic: lane.topic, partition: lane.partition, offset: String(upTo + 1) },
      ]);
      lane.committedOffset = upTo + 1;
      lane.lastCommitAt = new Date().toISOString();
    } catch (error) {
      // Safe to leave: the warehouse checkpoint already records the batch.
      this.o.logger.warn(
        { partition: lane.partition, offset: upTo + 1, code: errorCode(error), err: error },
        'offset commit failed; the checkpoint covers it',
      );
    }
  }

  private onFlushFailed(lane: Lane, drained: ReturnType<Lane['drain']>, error: unknown): void {
    if (error instanceof FencedError || error instanceof LockPolicyFailure) {
      // Fenced: a newer owner holds the lane and this process is stale. Lock policy `fail`: the
      // operator asked the lane to stop. Either way drop the lane's buffers (nothing was
      // committed to Kafka, so nothing is lost) and stop reading the partition until the
      // next rebalance hands it out again.
      lane.fenced = true;
      this.stoppedPartitions.set(lane.partition, error.message);
      if (this.lanes.get(lane.partition) === lane) this.lanes.delete(lane.partition);
      this.consumer.pause([{ topic: lane.topic, partitions: [lane.partition] }]);
      if (error instanceof FencedError) {
        for (const { table } of drained) this.o.metrics.fenced.inc({ table: table.contract.name });
        this.o.logger.warn(
          { partition: lane.partition, err: error },
          'lane fenced by a newer owner; buffers dropped',
        );
      } else {
        this.o.logger.error(
          { partition: lane.partition, err: error },
          `lane ${lane.partition} stopped: ${error.message}`,
        );
      }
      return;
    }
    // Keep the changes: put them back in front of anything buffered since, and try again at
    // the next due check. Nothing was committed to Kafka, so nothing is lost.
    for (const { table, changes } of drained) {
      table.buffer = [...changes, ...table.buffer];
      table.bytes = table.buffer.reduce((sum, c) => sum + c.bytes, 0);
    }
    this.o.logger.error(
      { partition: lane.partition, code: errorCode(error), err: error },
      'flush failed; changes kept for the next attempt',
    );
  }

  private bufferedBytes(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.bufferedBytes;
    return total;
  }

  /** Pauses consumption while buffered changes exceed the memory limit, until flushes free it. */
  private applyBackpressure(): void {
    const buffered = this.bufferedBytes();
    this.o.metrics.bufferedBytes.set(buffered);
    if (buffered <= this.o.config.maxBufferedBytes || this.paused) return;
    this.paused = true;
    this.o.metrics.paused.set(1);
    const topic = this.o.config.topics.changes;
    this.o.logger.warn(
      { bufferedBytes: buffered, limit: this.o.config.maxBufferedBytes },
      'memory limit reached; pausing consumption until a flush',
    );
    this.consumer.pause([{ topic }]);
    void this.track(
      Promise.allSettled([...this.lanes.values()].map((lane) => this.flushLane(lane))).finally(() => {
        this.paused = false;
        this.o.metrics.paused.set(0);
        if (this.running) this.consumer.resume([{ topic }]);
        for (const partition of this.stoppedPartitions.keys())
          this.consumer.pause([{ topic, partitions: [partition] }]);
      }),
    );
  }
}

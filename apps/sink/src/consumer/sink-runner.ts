import {
  findTable,
  reloadOnDemand,
  type ContractSource,
  type TableContract,
  type TablelaneConfig,
} from '@app/config';
import {
  DeadLetterWriter,
  type BatchConsumer,
  type DeadLetterEntry,
  type FetchedBatch,
  type KafkaAdmin,
  type KafkaClient,
} from '@app/kafka';
import type { Logger } from '@app/observability';
import { errorCode, valueRulesFor, type Destination } from '@app/warehouse';
import type { BatchStager } from '../flush/batch-stager';
import { FlushSlots } from '../flush/flush-slots';
import { withRetry } from '../flush/retry';
import { TableFlusher } from '../flush/table-flusher';
import { Lane } from '../lane/lane';
import type { TableLane } from '../lane/table-lane';
import { LockWatch } from '../locks/lock-watch';
import type { SinkMetrics } from '../metrics/sink-metrics';
import { ChangeHeld, Intake } from './intake';
import { LaneOffsets } from './lane-offsets';
import { refreshLag } from './lag-probe';
import { laneStatus, type SinkStatus } from './sink-status';
import { TargetTables } from './target-tables';

export type { LaneStatus, SinkStatus, SnapshotStatus, TableStatus } from './sink-status';

const TICK_MS = 100;
// Changes naming unknown columns ask for a reload; a burst of them reads the file once.
const CONTRACT_RELOAD_MIN_GAP_MS = 1000;
// A lane holding a change for a contract reload fetches it again this often.
const HOLD_RETRY_MS = 1000;

export interface SinkRunnerOptions {
  /** Settings that need a restart to change (topics, warehouse, limits). */
  config: TablelaneConfig;
  /** The table contracts, reloaded from the file while the sink runs. */
  contracts: ContractSource;
  /** How long a lane waits for a reload when a change names an unknown table or column. */
  contractHoldMs: number;
  kafka: KafkaClient;
  destination: Destination;
  stager: BatchStager;
  metrics: SinkMetrics;
  logger: Logger;
  groupId: string;
  /** Identifies this process in checkpoint rows (`owner`). */
  ownerId: string;
  /** Table flushes run at once; each holds a warehouse connection. */
  concurrency: number;
  /** How long the group waits for a silent member (a killed process) before moving its lanes. */
  sessionTimeoutMs: number;
  /** How often lag per lane and table is read from the cluster. */
  lagProbeMs: number;
  /** A rewritten contract file is picked up within this long even when no change asks for it. */
  contractReloadMs: number;
}

/**
 * Consumes the changes topic and drives every lane this process owns. It only orchestrates:
 * Intake takes messages into per-table buffers, TableFlusher moves one table's batch into the
 * warehouse (see flush/table-flush.ts for the path itself), and this class decides when a
 * table flushes, how far a lane's Kafka offset may be committed, and when a lane pauses.
 *
 * Taking messages in never waits for a flush, so the consumer keeps heartbeating while a table
 * retries; each lane may hold its share of the memory limit, and only a lane over its share
 * pauses, so a table that cannot load holds back its own lane's intake and nothing else.
 */
export class SinkRunner {
  private readonly consumer: BatchConsumer;
  private dlq?: DeadLetterWriter;
  private readonly admin: KafkaAdmin;
  private readonly locks: LockWatch;
  private readonly intake: Intake;
  private readonly flusher: TableFlusher;
  private readonly slots: FlushSlots;
  private readonly offsets: LaneOffsets;
  private readonly targets: TargetTables;
  private lanes = new Map<number, Lane>();
  private assigned = 1;
  private generation = 0;
  private contractsCheckedAt = 0;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;

  constructor(private readonly o: SinkRunnerOptions) {
    // Only changes the router committed (read_committed): a router crash never leaks half a transaction.
    this.consumer = o.kafka.batchConsumer({
      groupId: o.groupId,
      sessionTimeoutMs: o.sessionTimeoutMs,
      concurrency: o.concurrency,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    this.admin = o.kafka.admin();
    this.locks = new LockWatch(o.destination, o.metrics, o.logger, o.config.warehouse.lockTimeoutMs);
    this.slots = new FlushSlots(o.concurrency);
    const isCurrent = (lane: Lane) => this.isCurrent(lane);
    this.offsets = new LaneOffsets(this.consumer, o.logger, isCurrent);
    const stillOwner = (lane: Lane) => this.offsets.stillOwner(lane);
    this.intake = new Intake({
      contracts: () => o.contracts.current(),
      reloadContracts: reloadOnDemand(() => this.reloadContracts(), CONTRACT_RELOAD_MIN_GAP_MS),
      contractHoldMs: o.contractHoldMs,
      rules: valueRulesFor(o.config.warehouse.kind),
      destination: o.destination,
      metrics: o.metrics,
      logger: o.logger,
      ownerId: o.ownerId,
      deadLetter: (source, reason) => this.deadLetter([{ source, reason }], 'sink'),
      isCurrent,
      stillOwner,
    });
    const targets = new TargetTables(
      o.destination,
      this.locks,
      o.metrics,
      o.logger,
      o.config.warehouse.ddlLockTimeoutMs,
      () => this.running,
    );
    this.flusher = new TableFlusher({
      destination: o.destination,
      stager: o.stager,
      metrics: o.metrics,
      logger: o.logger,
      locks: this.locks,
      ownerId: o.ownerId,
      ensureTarget: (table) => targets.ensure(table.contract),
      deadLetter: (lane, refused) =>
        this.deadLetter(
          refused.map(({ change, code, message }) => ({
            source: {
              topic: lane.topic,
              partition: lane.partition,
              offset: String(change.offset),
              ...change.raw,
            },
            reason: { code, message },
          })),
          'warehouse',
        ),
      isCurrent,
      stillOwner,
      stop: (lane, reason) => this.stopLane(lane, reason),
    });
    this.targets = targets;
  }

  async start(): Promise<void> {
    const { config, logger } = this.o;
    this.running = true;
    await this.prepareTables(this.o.contracts.current().tables);
    await this.admin.connect();
    this.dlq = await DeadLetterWriter.connect(this.o.kafka, this.admin, config.topics.dlq);
    await this.consumer.start(config.topics.changes, (batch) => this.track(this.onBatch(batch)), {
      // The client gave up for good: say so, so liveness fails and the pod restarts.
      failed: (error) => {
        this.running = false;
        logger.fatal({ err: error }, 'the Kafka consumer stopped for good; this sink consumes nothing');
      },
      // Any rebalance may move lanes: drop every lane at once. The new owner (maybe us again)
      // re-reads from the committed offsets and skips what the checkpoints show applied.
      rebalancing: () => this.newGeneration('rebalancing'),
      joined: (assignment) => {
        this.newGeneration('joined');
        this.assigned = Math.max(1, (assignment[config.topics.changes] ?? []).length);
        logger.info({ assignment, generation: this.generation }, 'joined the sink group');
      },
      // A fetch of only transaction markers or aborted changes: take its offsets in, to commit them.
      skipped: (partition, lastOffset) => {
        const lane = this.lanes.get(partition);
        if (lane && lane.generation === this.generation) lane.advance(Number(lastOffset));
      },
    });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.lagTimer = setInterval(
      () =>
        void refreshLag(
          this.admin,
          this.o.groupId,
          config.topics.changes,
          this.lanes.values(),
          this.o.metrics,
          logger,
        ),
      this.o.lagProbeMs,
    );
  }

  /**
   * tablelane's own tables first: claims need them, and nobody else locks them. Target DDL may
   * wait for users' locks: start it, but let flushes of other tables go on.
   */
  private async prepareTables(contracts: readonly TableContract[]): Promise<void> {
    for (const contract of contracts) {
      await withRetry(() => this.o.destination.prepareState(contract), {
        shouldContinue: () => this.running,
        onRetry: (error, attempt, delayMs, code) =>
          this.o.logger.warn(
            { table: contract.name, attempt, delayMs, code, err: error },
            'preparing state tables failed; retrying',
          ),
      });
    }
    for (const contract of contracts) void this.targets.ensure(contract).catch(() => undefined);
  }

  /**
   * Re-reads the contract file; when tables changed, every lane's tables take the new contracts
   * (a batch in flight keeps the one it began with) and their targets are altered before the
   * next flush.
   */
  private async reloadContracts(): Promise<boolean> {
    let reload;
    try {
      reload = this.o.contracts.reload();
    } catch (error) {
      this.o.logger.error(
        { err: error },
        'the contract file no longer validates; the contracts in force stay',
      );
      return false;
    }
    if (!reload) return false;
    const changed = reload.changedTables.map((name) => findTable(reload.config, name)!);
    for (const contract of changed) this.targets.forget(contract.name);
    await this.prepareTables(changed);
    for (const lane of this.lanes.values())
      for (const contract of changed) {
        const table = lane.tables.get(contract.name);
        if (table) table.contract = contract;
      }
    this.o.logger.info({ tables: reload.changedTables }, 'table contracts reloaded');
    return true;
  }

  /**
   * Graceful stop: stop fetching, let in-flight work finish, flush every table that holds
   * changes and commit every lane while the group membership is still valid, then leave.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    clearInterval(this.timer);
    clearInterval(this.lagTimer);
    this.consumer.pause(this.o.config.topics.changes);
    await Promise.allSettled([...this.inFlight]);
    const lanes = [...this.lanes.values()];
    await Promise.allSettled(
      lanes.flatMap((lane) =>
        [...lane.tables.values()]
          .filter((table) => table.buffer.length > 0 && !table.flushing)
          .map((table) => this.flushTable(lane, table)),
      ),
    );
    await Promise.allSettled(lanes.map((lane) => this.offsets.commit(lane)));
    this.running = false;
    await this.consumer.stop();
    await this.dlq?.disconnect();
    await this.admin.disconnect();
  }

  status(): SinkStatus {
    const now = Date.now();
    const lanes = [...this.lanes.values()].map((lane) => laneStatus(lane, now));
    return {
      owner: this.o.ownerId,
      generation: this.generation,
      consuming: this.running,
      paused: lanes.some((lane) => lane.paused),
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
    this.o.metrics.paused.set(0);
    this.o.logger.info({ generation: this.generation, reason }, 'lanes dropped for a new group generation');
    if (this.running) this.consumer.resume(this.o.config.topics.changes);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  private async onBatch(batch: FetchedBatch): Promise<void> {
    const { partition, topic } = batch;
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = new Lane(topic, partition, this.generation);
      // The group fetched from its committed offset, so everything before this batch is done.
      lane.advance(Number(batch.firstOffset() ?? batch.lastOffset()) - 1);
      this.lanes.set(partition, lane);
    }
    if (lane.stopped) return;
    let complete = true;
    for (const message of batch.records) {
      if (!batch.isCurrent() || !this.isCurrent(lane) || lane.stopped) {
        complete = false;
        break;
      }
      try {
        await this.intake.take(lane, message);
      } catch (error) {
        // Not taken: the next fetch delivers this message again (nothing past it was resolved).
        if (error instanceof ChangeHeld) this.hold(lane, error);
        else if (this.isCurrent(lane))
          this.o.logger.warn(
            { partition, offset: message.offset, code: errorCode(error), err: error },
            'could not take a change in; it is fetched again',
          );
        complete = false;
        break;
      }
      batch.resolveOffset(message.offset);
      // Checked per message, so a fetch far bigger than the lane's share pauses it at once.
      this.applyBackpressure(lane);
    }
    if (complete) {
      // The batch may end with control records (commit markers of the router's transactions):
      // take them in too, or the committed offset would stop short of them and lag never reach 0.
      lane.advance(Number(batch.lastOffset()));
      batch.resolveOffset(batch.lastOffset());
    }
    this.flushDueTables(lane, Date.now());
    await batch.heartbeat();
  }

  private isCurrent(lane: Lane): boolean {
    return lane.generation === this.generation && this.lanes.get(lane.partition) === lane;
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.contractsCheckedAt >= this.o.contractReloadMs) {
      this.contractsCheckedAt = now;
      void this.reloadContracts();
    }
    let buffered = 0;
    // Only the lanes this process owns now: a run of a lane that moved is another sink's to show.
    this.o.metrics.snapshotRunning.reset();
    for (const lane of this.lanes.values()) {
      buffered += lane.bufferedBytes;
      for (const table of lane.tables.values())
        this.o.metrics.snapshotRunning.set({ table: table.contract.name }, table.snapshots.open ? 1 : 0);
      const partition = String(lane.partition);
      this.o.metrics.laneOldestSeconds.set({ partition }, lane.oldestAgeSeconds(now));
      this.o.metrics.laneHolding.set({ partition }, lane.holdingSince === undefined ? 0 : 1);
      if (lane.stopped) continue;
      this.flushDueTables(lane, now);
      if (lane.commitDue(now)) void this.track(this.offsets.commit(lane));
    }
    this.o.metrics.bufferedBytes.set(buffered);
  }

  private flushDueTables(lane: Lane, now: number): void {
    if (lane.stopped || !this.isCurrent(lane)) return;
    for (const table of lane.tables.values()) {
      if (table.isDue(now)) void this.track(this.flushTable(lane, table));
    }
  }

  /** One flush of one table, in a connection slot, then the lane's commit and intake catch up. */
  private async flushTable(lane: Lane, table: TableLane): Promise<void> {
    table.flushing = true;
    await this.slots.run(() => this.flusher.flush(lane, table));
    if (!this.isCurrent(lane)) return;
    await this.offsets.commit(lane);
    this.relieveBackpressure(lane);
  }

  /**
   * Waits for a contract that knows the lane's next change: the partition pauses for a moment
   * and the change is fetched again; said once per hold, counted in the holding gauge.
   */
  private hold(lane: Lane, held: ChangeHeld): void {
    if (!this.isCurrent(lane)) return;
    if (!lane.paused) {
      this.consumer.pause(lane.topic, [lane.partition]);
      setTimeout(() => {
        if (this.isCurrent(lane) && !lane.paused && !lane.stopped)
          this.consumer.resume(lane.topic, [lane.partition]);
      }, HOLD_RETRY_MS).unref();
    }
    if (lane.holdAnnounced !== lane.holdingSince) {
      lane.holdAnnounced = lane.holdingSince;
      this.o.logger.warn(
        { partition: lane.partition, reason: held.reason, holdMs: this.o.contractHoldMs },
        `lane ${lane.partition} waits for a contract that knows its next change (up to ${this.o.contractHoldMs / 1000} s, then it is dead-lettered)`,
      );
    }
  }

  private deadLetter(letters: DeadLetterEntry[], stage: string): Promise<void> {
    return this.dlq!.send(letters, stage);
  }

  /** Lock policy `fail`, or fenced while the group no longer counts us as owner. */
  private stopLane(lane: Lane, reason: string): void {
    if (!this.isCurrent(lane) || lane.stopped) return;
    lane.stopped = reason;
    this.consumer.pause(lane.topic, [lane.partition]);
    this.o.logger.error({ partition: lane.partition, reason }, `lane ${lane.partition} stopped: ${reason}`);
  }

  /** A lane's share of the memory limit: the limit split over the lanes this process owns. */
  private get laneShare(): number {
    return this.o.config.maxBufferedBytes / this.assigned;
  }

  /** Pauses only this lane's partition while it holds more than its share. */
  private applyBackpressure(lane: Lane): void {
    if (lane.paused || lane.bufferedBytes < this.laneShare || !this.isCurrent(lane)) return;
    lane.paused = true;
    this.o.metrics.paused.set(1);
    this.o.logger.warn(
      { partition: lane.partition, bufferedBytes: lane.bufferedBytes, share: Math.round(this.laneShare) },
      'lane holds its share of the memory limit; pausing its partition until its tables flush',
    );
    this.consumer.pause(lane.topic, [lane.partition]);
  }

  private relieveBackpressure(lane: Lane): void {
    if (!lane.paused || lane.stopped || lane.bufferedBytes >= this.laneShare / 2) return;
    lane.paused = false;
    this.consumer.resume(lane.topic, [lane.partition]);
    if (![...this.lanes.values()].some((l) => l.paused)) this.o.metrics.paused.set(0);
  }
}

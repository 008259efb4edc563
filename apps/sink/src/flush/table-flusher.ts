import type { Logger } from '@app/observability';
import { errorCode, FencedError, isLockTimeout, type Destination } from '@app/warehouse';
import type { BufferedChange } from '../lane/buffered-change';
import type { Lane } from '../lane/lane';
import type { SnapshotStep } from '../lane/snapshot-runs';
import type { TableLane } from '../lane/table-lane';
import { LockPolicyFailure, type LockWatch } from '../locks/lock-watch';
import type { SinkMetrics } from '../metrics/sink-metrics';
import type { BatchStager } from './batch-stager';
import { backoffDelay } from './retry';
import { flushTableBatch, type FlushedBatch, type RefusedChange } from './table-flush';

export interface TableFlusherDeps {
  destination: Destination;
  stager: BatchStager;
  metrics: SinkMetrics;
  logger: Logger;
  locks: LockWatch;
  ownerId: string;
  /** Creates or alters the target table (once per process). */
  ensureTarget(table: TableLane): Promise<void>;
  /** Dead-letters changes the warehouse refused; resolves once they are durable. */
  deadLetter(lane: Lane, refused: RefusedChange[]): Promise<void>;
  /** Whether the lane still belongs to the current consumer-group generation. */
  isCurrent(lane: Lane): boolean;
  /**
   * Asks the group coordinator whether this process still owns the lane's partition (by
   * committing the lane's offset): true, false when the coordinator says our generation or
   * membership is over; throws when it cannot tell.
   */
  stillOwner(lane: Lane): Promise<boolean>;
  /** Stops the lane for this generation (lock policy `fail`, or fenced while no longer owner). */
  stop(lane: Lane, reason: string): void;
}

/**
 * One attempt at a table's buffered changes, and what each outcome means for the table:
 * committed (checkpoint moves), failed (changes kept, retried after a backoff, reported on
 * /status), or fenced, which is resolved before anything is dropped:
 * - the checkpoint carries our own epoch: our commit went through and its reply was lost
 *   (an ambiguous COMMIT), so the batch is done, not fenced;
 * - another owner claimed the table but the group says the partition is still ours: a stale
 *   process out-claimed us; claim it back and go on, and the stale one is fenced in turn;
 * - the group says we no longer own the partition: we are the stale one; stop the lane.
 */
export class TableFlusher {
  constructor(private readonly d: TableFlusherDeps) {}

  async flush(lane: Lane, table: TableLane): Promise<void> {
    const last = lane.lastOffset;
    const { changes, whole } = table.take();
    if (changes.length === 0) {
      // Nothing left to load (a checkpoint adopted meanwhile covered it all).
      table.flushing = false;
      return;
    }
    // A batch cut at a snapshot marker covers the table's changes up to its last one only.
    const upTo = whole ? last : changes[changes.length - 1]!.offset;
    const started = Date.now();
    try {
      await this.d.ensureTarget(table);
      if (table.snapshots.stale) await this.restoreSnapshots(lane, table);
      const flushed = await flushTableBatch(
        {
          destination: this.d.destination,
          stager: this.d.stager,
          deadLetter: (refused) => this.d.deadLetter(lane, refused),
        },
        lane.topic,
        lane.partition,
        table,
        changes,
        upTo,
      );
      this.committed(lane, table, changes, upTo, flushed, started);
    } catch (error) {
      await this.failed(lane, table, changes, upTo, error, started).catch((followUp: unknown) => {
        // Resolving the failure failed too (the warehouse or Kafka is away): retry later.
        if (table.flushing) this.retryLater(table, followUp);
      });
    }
  }

  private committed(
    lane: Lane,
    table: TableLane,
    changes: BufferedChange[],
    upTo: number,
    flushed: FlushedBatch,
    started: number,
  ): void {
    const { contract } = table;
    const labels = { table: contract.name };
    const recovered = table.failure;
    table.committed(upTo);
    if (flushed.snapshot) this.snapshotCommitted(lane, table, flushed.snapshot);
    // Found committed after the fact: what the batch did to the runs is read back before the next.
    else table.snapshots.stale = true;
    this.d.locks.onSuccess(contract);
    if (recovered)
      this.d.logger.info(
        { table: contract.name, partition: lane.partition, attempts: recovered.attempts },
        'flush recovered',
      );
    for (const { change, code, message } of flushed.refused) {
      this.d.metrics.deadLetters.inc({ code });
      this.d.logger.warn(
        { table: contract.name, partition: lane.partition, offset: change.offset, code, reason: message },
        'change refused by the warehouse; sent to the dead-letter topic',
      );
    }
    lane.deadLetters += flushed.refused.length;
    const seconds = (Date.now() - started) / 1000;
    this.d.metrics.flushes.inc(labels);
    this.d.metrics.rowsMerged.inc(labels, flushed.rows);
    lane.recordMerge(flushed.rows);
    this.d.metrics.batchRows.observe(labels, changes.length);
    this.d.metrics.flushSeconds.observe(labels, seconds);
    const committedAt = Date.now();
    for (const { change } of changes) {
      if (change.ts)
        this.d.metrics.endToEndSeconds.observe(labels, Math.max(0, committedAt - change.ts) / 1000);
    }
    this.d.logger.debug(
      {
        table: contract.name,
        partition: lane.partition,
        offset: upTo,
        changes: changes.length,
        rows: flushed.rows,
        seconds,
      },
      'batch committed',
    );
  }

  /** The runs as the warehouse records them, before a claim's first batch or after an adopted checkpoint. */
  private async restoreSnapshots(lane: Lane, table: TableLane): Promise<void> {
    const { contract } = table;
    table.snapshots.restore(await this.d.destination.readSnapshotRuns(contract));
    const open = table.snapshots.open;
    if (open)
      this.d.logger.info(
        { table: contract.name, partition: lane.partition, run: open.run, rowsSeen: open.rowsSeen },
        `snapshot run ${open.run} of ${contract.name} is open: following it`,
      );
  }

  /** A batch of a snapshot run committed: the runs move on, said in the log and the metrics. */
  private snapshotCommitted(lane: Lane, table: TableLane, step: SnapshotStep): void {
    const { contract } = table;
    const labels = { table: contract.name };
    table.snapshots.apply(step);
    if (step.shape?.rows) this.d.metrics.snapshotRows.inc(labels, step.shape.rows);
    const at = { table: contract.name, partition: lane.partition };
    for (const event of step.events) {
      const { run } = event;
      switch (event.kind) {
        case 'begun':
          this.d.logger.info(
            { ...at, run, total: event.total },
            `snapshot run ${run} of ${contract.name} begun`,
          );
          break;
        case 'done':
          this.d.logger.info(
            { ...at, run, rowsSeen: event.rowsSeen, rows: event.expected },
            `snapshot run ${run} of ${contract.name} done: the table was refreshed in place, rows it did not hold deleted`,
          );
          break;
        case 'incomplete':
          this.d.logger.error(
            { ...at, run, rowsSeen: event.rowsSeen, rows: event.expected },
            `snapshot run ${run} of ${contract.name} ended INCOMPLETE: ${event.rowsSeen} of its ${event.expected} rows were merged ` +
              '(the others were refused, see the dead-letter topic), so nothing was deleted; fix them and run the snapshot again',
          );
          break;
        case 'cancelled':
          this.d.logger.info(
            { ...at, run, rowsSeen: event.rowsSeen },
            `snapshot run ${run} of ${contract.name} cancelled: its rows merged so far stay, nothing was deleted`,
          );
          break;
        case 'abandoned':
          this.d.logger.warn(
            { ...at, run, by: event.by, rowsSeen: event.rowsSeen },
            `snapshot run ${run} of ${contract.name} abandoned, as cancelled: run ${event.by} began while it was open`,
          );
          break;
        case 'ignored':
          this.d.logger.warn(
            { ...at, run, op: event.op, open: event.open },
            `${event.op} of snapshot run ${run} of ${contract.name} ignored: ` +
              (event.open === run ? 'the run is open already' : `the open run is ${event.open ?? 'none'}`),
          );
          break;
        case 'stray rows':
          this.d.logger.warn(
            { ...at, run, rows: event.rows, open: event.open },
            `${event.rows} row(s) of snapshot run ${run} of ${contract.name}, which is not open, merged as ordinary upserts`,
          );
      }
    }
  }

  private async failed(
    lane: Lane,
    table: TableLane,
    changes: BufferedChange[],
    upTo: number,
    error: unknown,
    started: number,
  ): Promise<void> {
    const { contract } = table;
    // A flush of an older generation touches nothing shared: the lane was dropped and its
    // partition, if it is ours again, belongs to a new Lane with its own claims.
    if (!this.d.isCurrent(lane)) return this.retryLater(table, error);
    if (error instanceof LockPolicyFailure) {
      this.retryLater(table, error);
      return this.d.stop(lane, error.message);
    }
    if (error instanceof FencedError) return this.fenced(lane, table, changes, upTo, error, started);
    this.d.metrics.retries.inc({ table: contract.name, code: errorCode(error) });
    if (isLockTimeout(error)) {
      try {
        await this.d.locks.onLockTimeout(contract, false);
      } catch (policy) {
        this.retryLater(table, policy);
        return this.d.stop(lane, policy instanceof Error ? policy.message : String(policy));
      }
    } else {
      this.d.logger.warn(
        {
          table: contract.name,
          partition: lane.partition,
          attempt: (table.failure?.attempts ?? 0) + 1,
          code: errorCode(error),
          err: error,
        },
        'flush failed; changes kept for the next attempt',
      );
    }
    this.retryLater(table, error);
  }

  private async fenced(
    lane: Lane,
    table: TableLane,
    changes: BufferedChange[],
    upTo: number,
    error: FencedError,
    started: number,
  ): Promise<void> {
    const { contract } = table;
    const row = (await this.d.destination.readCheckpoints(contract)).find(
      (r) => r.topic === lane.topic && r.partition === lane.partition,
    );
    if (row && row.epoch === table.claim.epoch) {
      if (row.lastOffset === upTo) {
        this.d.logger.info(
          { table: contract.name, partition: lane.partition, offset: upTo },
          'the commit reply was lost but the checkpoint shows the batch committed',
        );
        return this.committed(lane, table, changes, upTo, { rows: changes.length, refused: [] }, started);
      }
      this.retryLater(table, error, 0);
      return table.adopt({ epoch: row.epoch, lastOffset: row.lastOffset });
    }
    if (await this.d.stillOwner(lane)) {
      const claim = await this.d.destination.claimLane(contract, lane.topic, lane.partition, this.d.ownerId);
      this.d.logger.warn(
        {
          table: contract.name,
          partition: lane.partition,
          staleEpoch: table.claim.epoch,
          epoch: claim.epoch,
          checkpoint: claim.lastOffset,
        },
        'a stale process claimed the table while this process still owns the lane; claimed it back',
      );
      this.retryLater(table, error, 0);
      return table.adopt(claim);
    }
    this.d.metrics.fenced.inc({ table: contract.name });
    this.retryLater(table, error);
    this.d.stop(lane, `fenced: ${error.message}; the group gave the partition to another member`);
  }

  private retryLater(table: TableLane, error: unknown, delayMs?: number): void {
    const attempts = table.failure?.attempts ?? 0;
    const message = error instanceof Error ? error.message : String(error);
    table.failed(errorCode(error), message, delayMs ?? backoffDelay(attempts));
  }
}

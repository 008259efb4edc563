import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The sink's Prometheus metrics; names and units follow Prometheus conventions. */
export class SinkMetrics {
  readonly registry = new Registry();
  readonly changesConsumed = new Counter({
    name: 'tablelane_sink_changes_consumed_total',
    help: 'Changes read from the changes topic',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly changesSkipped = new Counter({
    name: 'tablelane_sink_changes_skipped_total',
    help: 'Changes skipped because their checkpoint shows them applied',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly rowsMerged = new Counter({
    name: 'tablelane_sink_rows_merged_total',
    help: 'Reduced rows merged into the warehouse',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly flushes = new Counter({
    name: 'tablelane_sink_flushes_total',
    help: 'Table batches committed',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly flushSeconds = new Histogram({
    name: 'tablelane_sink_flush_duration_seconds',
    help: 'Time to stage, load, merge and checkpoint one table batch',
    labelNames: ['table'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly batchRows = new Histogram({
    name: 'tablelane_sink_batch_rows',
    help: 'Changes per table batch before reduction',
    labelNames: ['table'],
    buckets: [1, 10, 100, 1000, 10_000, 100_000],
    registers: [this.registry],
  });
  readonly endToEndSeconds = new Histogram({
    name: 'tablelane_end_to_end_latency_seconds',
    help: 'From the event time (ts) to the warehouse commit',
    labelNames: ['table'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'tablelane_sink_retries_total',
    help: 'Flush attempts retried, by error code',
    labelNames: ['table', 'code'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'tablelane_sink_dead_letters_total',
    help: 'Changes sent to the dead-letter topic',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly fenced = new Counter({
    name: 'tablelane_sink_fenced_total',
    help: 'Batches rejected because another owner holds the lane',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly lockWaitSeconds = new Counter({
    name: 'tablelane_sink_lock_wait_seconds_total',
    help: 'Seconds flushes spent waiting for locks that then timed out',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly blockedFlushes = new Counter({
    name: 'tablelane_sink_blocked_flushes_total',
    help: 'Lock-wait episodes: flushes blocked by other sessions',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly tableBlocked = new Gauge({
    name: 'tablelane_sink_table_blocked',
    help: '1 while loading into the table is blocked by other sessions',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly cancelledBlockers = new Counter({
    name: 'tablelane_sink_cancelled_blockers_total',
    help: 'Blocking sessions cancelled by the cancel-blockers lock policy',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly bufferedBytes = new Gauge({
    name: 'tablelane_sink_buffered_bytes',
    help: 'Bytes of changes buffered across all lanes',
    registers: [this.registry],
  });
  readonly paused = new Gauge({
    name: 'tablelane_sink_backpressure_paused',
    help: '1 while consumption is paused for memory',
    registers: [this.registry],
  });
  readonly laneLagMessages = new Gauge({
    name: 'tablelane_lane_lag_messages',
    help: 'Messages on a lane (partition of the changes topic) past the sink group committed offset',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly tableLagMessages = new Gauge({
    name: 'tablelane_table_lag_messages',
    help: 'Messages behind on the lane of each table this sink owns',
    labelNames: ['table', 'partition'],
    registers: [this.registry],
  });
  readonly tableLagSeconds = new Gauge({
    name: 'tablelane_table_lag_seconds',
    help: 'Age of the oldest change of the table not yet in the warehouse (seconds behind)',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly laneHolding = new Gauge({
    name: 'tablelane_sink_lane_holding',
    help: '1 while a lane waits for a contract reload that knows its next change (a rollout in progress)',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly laneOldestSeconds = new Gauge({
    name: 'tablelane_lane_oldest_unflushed_seconds',
    help: 'Age of the oldest unflushed change per lane (seconds behind)',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly laneStalled = new Gauge({
    name: 'tablelane_sink_lane_stalled',
    help: '1 while a lane this sink owns is stalled: a table failing the same batch, or lag without a commit, for longer than the stall threshold, or the lane stopped',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly laneNoProgressSeconds = new Gauge({
    name: 'tablelane_sink_lane_no_progress_seconds',
    help: 'Seconds a lane has failed the same batch or, while behind, not committed; 0 while it progresses',
    labelNames: ['partition'],
    registers: [this.registry],
  });

  readonly snapshotRows = new Counter({
    name: 'tablelane_snapshot_rows_total',
    help: 'Rows of snapshot runs (full refreshes) merged, by the sink that merged them',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly snapshotRunning = new Gauge({
    name: 'tablelane_snapshot_running',
    help: '1 while a snapshot run (a full refresh) of the table is open on a lane this sink owns',
    labelNames: ['table'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tablelane_sink_' });
  }
}

import type { Lane } from '../lane/lane';
import type { TableLane } from '../lane/table-lane';
import type { LockEpisode } from '../locks/lock-watch';

export interface TableStatus {
  table: string;
  bufferedRows: number;
  /** Last lane offset applied to this table (its checkpoint), -1 before the first. */
  checkpoint: number;
  /** Last successful warehouse commit of this table (ISO), null if none in this process. */
  lastCommitAt: string | null;
  /** When the batch that is still failing first failed (ISO); null when the table is healthy. */
  failingSince: string | null;
  /** Code and message of the last failure of that batch. */
  lastError: string | null;
  /** The table's open snapshot run (a full refresh in progress), null when none. */
  snapshot: SnapshotStatus | null;
}

/** A running snapshot of a table, as its lane has merged it so far. */
export interface SnapshotStatus {
  run: string;
  /** When the run began (its begin marker's time, ISO). */
  since: string;
  /** The run's rows merged so far (by every owner of the lane). */
  rowsSeen: number;
  /** The rows the run expects, when its source said; null otherwise. */
  total: number | null;
  /** Rows of the run this sink merged per second since it began to follow the run. */
  rowsPerSecond: number;
  /** Seconds left at that rate, when the total is known; null otherwise. */
  etaSeconds: number | null;
}

export interface LaneStatus {
  partition: number;
  tables: TableStatus[];
  lagMessages: number;
  bufferedRows: number;
  oldestAgeSeconds: number;
  rowsPerSecond: number;
  deadLetters: number;
  lastOffset: number;
  committedOffset: number;
  lastCommitAt: string | null;
  /** When the lane's committed Kafka offset last advanced, or when the lane was assigned. */
  progressAt: string | null;
  /** Consumption of the partition is paused: the lane holds its share of the memory limit. */
  paused: boolean;
  /** The lane was stopped (lock policy `fail`, or fenced by a newer owner): why. */
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

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export function laneStatus(lane: Lane, now = Date.now()): LaneStatus {
  return {
    partition: lane.partition,
    tables: [...lane.tables.values()].map((t) => ({
      table: t.contract.name,
      bufferedRows: t.bufferedRows,
      checkpoint: t.checkpoint,
      lastCommitAt: iso(t.lastCommitAt),
      failingSince: iso(t.failure?.since),
      lastError: t.failure ? `${t.failure.code}: ${t.failure.message}` : null,
      snapshot: snapshotStatus(t, now),
    })),
    lagMessages: lane.lagMessages,
    bufferedRows: lane.bufferedRows,
    oldestAgeSeconds: lane.oldestAgeSeconds(now),
    rowsPerSecond: lane.rowsPerSecond(now),
    deadLetters: lane.deadLetters,
    lastOffset: lane.lastOffset,
    committedOffset: lane.committedOffset,
    lastCommitAt: iso(lane.lastCommitAt),
    progressAt: iso(lane.progressAt),
    paused: lane.paused,
    failed: lane.stopped,
  };
}

function snapshotStatus(table: TableLane, now: number): SnapshotStatus | null {
  const open = table.snapshots.open;
  const progress = table.snapshots.progress(now);
  if (!open || !progress) return null;
  return {
    run: open.run,
    since: new Date(open.begunAt).toISOString(),
    rowsSeen: open.rowsSeen,
    total: open.total ?? null,
    rowsPerSecond: progress.rowsPerSecond,
    etaSeconds: progress.etaSeconds,
  };
}

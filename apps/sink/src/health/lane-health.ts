/** What the health judge reads of one table of a lane (a subset of the runner's TableStatus). */
export interface TableHealthInput {
  table: string;
  /** When the batch that is still failing first failed (ISO); null when the table is healthy. */
  failingSince: string | null;
  /** Code and message of the last failure of that batch. */
  lastError: string | null;
}

/** What the health judge reads of one lane (a subset of the runner's LaneStatus). */
export interface LaneHealthInput {
  partition: number;
  tables: readonly TableHealthInput[];
  lagMessages: number;
  /** When the lane's committed Kafka offset last advanced, or when the lane was assigned (ISO). */
  progressAt: string | null;
  /** Why the lane was stopped (fenced, lock policy `fail`); null while it runs. */
  failed: string | null;
}

/**
 * Why a lane is stalled. `failing-batch`: a table has failed the same batch for too long (a
 * lock, the warehouse down). `no-progress`: the lane is behind and its committed offset has not
 * moved, with no table failing to explain it. `stopped`: the runner stopped the lane.
 */
export type StallCause = 'failing-batch' | 'no-progress' | 'stopped';

export interface LaneVerdict {
  partition: number;
  state: 'ok' | 'stalled';
  cause: StallCause | null;
  /** For people: which table, for how long, and the last error. Null when ok. */
  stalledReason: string | null;
  /** How long the lane has gone without progress (failing or behind without a commit); 0 while it progresses. */
  noProgressMs: number;
  /**
   * Whether restarting the process could plausibly cure the stall: only a lane that is behind
   * with nothing failing (a wedged consumer). A lock, a refused batch or a warehouse outage
   * follows the lane to its next owner, and a restart stalls every other lane of the process.
   */
  restartMayHelp: boolean;
}

/** Milliseconds since an ISO time, or undefined when there is none (or it does not parse). */
function ageMs(iso: string | null, now: number): number | undefined {
  if (iso === null) return undefined;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? undefined : Math.max(0, now - at);
}

/** "74 s", "12 min", "3 h": precise enough to read at a glance. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

/** The table that has failed its batch the longest, with how long. */
function longestFailing(
  lane: LaneHealthInput,
  now: number,
): { table: TableHealthInput; forMs: number; others: number } | undefined {
  let worst: { table: TableHealthInput; forMs: number } | undefined;
  let failing = 0;
  for (const table of lane.tables) {
    const forMs = ageMs(table.failingSince, now);
    if (forMs === undefined) continue;
    failing++;
    if (!worst || forMs > worst.forMs) worst = { table, forMs };
  }
  return worst && { ...worst, others: failing - 1 };
}

function failingText(failing: { table: TableHealthInput; forMs: number; others: number }): string {
  const { table, forMs, others } = failing;
  const also = others > 0 ? ` (and ${others} more table${others > 1 ? 's' : ''} of the lane)` : '';
  return `${table.table} has failed the same batch for ${formatDuration(forMs)}: ${table.lastError ?? 'no error recorded'}${also}`;
}

/**
 * Judges one lane at `now`: stalled when it was stopped, when a table has failed the same batch
 * for at least `thresholdMs`, or when it has been behind for at least `thresholdMs` without its
 * committed offset advancing. `behindSinceMs` is when the lane was first seen behind: an idle
 * lane's last commit may be an hour old when a change arrives, and that is not an hour stalled.
 */
export function judgeLane(
  lane: LaneHealthInput,
  now: number,
  thresholdMs: number,
  behindSinceMs?: number,
): LaneVerdict {
  const failing = longestFailing(lane, now);
  const sinceCommitMs = ageMs(lane.progressAt, now);
  const behindForMs =
    lane.lagMessages > 0 && sinceCommitMs !== undefined
      ? Math.min(sinceCommitMs, behindSinceMs === undefined ? Infinity : Math.max(0, now - behindSinceMs))
      : undefined;
  const noProgressMs = Math.max(failing?.forMs ?? 0, behindForMs ?? 0);
  const verdict = (cause: StallCause | null, stalledReason: string | null): LaneVerdict => ({
    partition: lane.partition,
    state: cause ? 'stalled' : 'ok',
    cause,
    stalledReason,
    noProgressMs,
    restartMayHelp: cause === 'no-progress' && !failing,
  });
  if (lane.failed !== null) return verdict('stopped', `lane ${lane.partition} was stopped: ${lane.failed}`);
  if (failing && failing.forMs >= thresholdMs) return verdict('failing-batch', failingText(failing));
  if (behindForMs !== undefined && behindForMs >= thresholdMs) {
    const tables = lane.tables.map((t) => t.table).join(', ') || 'no table seen yet';
    const failingNote = failing ? `; ${failingText(failing)}` : '';
    return verdict(
      'no-progress',
      `lane ${lane.partition} (${tables}) is ${lane.lagMessages} messages behind and has not committed for ${formatDuration(behindForMs)}${failingNote}`,
    );
  }
  return verdict(null, null);
}

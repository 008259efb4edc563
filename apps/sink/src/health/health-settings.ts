/** How long a lane may go without progress before health calls it stalled, and before a restart. */
export interface HealthSettings {
  /** A lane failing the same batch, or behind without a commit, this long is stalled. */
  stallThresholdMs: number;
  /**
   * A lane stalled this long with nothing failing (behind, but no table reports an error) fails
   * liveness: the consumer looks wedged, and a restart rejoins the group.
   */
  restartAfterMs: number;
}

/**
 * A minute: far above the 1 s flush age and a few lock timeouts (2 s each) with backoff, so a
 * busy warehouse or a short analyst query does not page anyone; short enough that a lane stuck
 * behind a forgotten transaction shows within minutes.
 */
export const DEFAULT_STALL_THRESHOLD_MS = 60_000;
/** Ten minutes: a restart costs a rebalance of every lane, so only a long, unexplained stall earns one. */
export const DEFAULT_RESTART_AFTER_MS = 600_000;

function positiveMs(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new Error(`${name} must be a positive whole number of milliseconds, got "${value}"`);
  return ms;
}

/** Reads TABLELANE_STALL_THRESHOLD_MS and TABLELANE_STALL_RESTART_MS; a bad value stops the start. */
export function healthSettings(env: NodeJS.ProcessEnv): HealthSettings {
  const stallThresholdMs = positiveMs(
    'TABLELANE_STALL_THRESHOLD_MS',
    env.TABLELANE_STALL_THRESHOLD_MS,
    DEFAULT_STALL_THRESHOLD_MS,
  );
  const restartAfterMs = positiveMs(
    'TABLELANE_STALL_RESTART_MS',
    env.TABLELANE_STALL_RESTART_MS,
    Math.max(DEFAULT_RESTART_AFTER_MS, stallThresholdMs),
  );
  if (restartAfterMs < stallThresholdMs)
    throw new Error(
      `TABLELANE_STALL_RESTART_MS (${restartAfterMs}) must not be below TABLELANE_STALL_THRESHOLD_MS (${stallThresholdMs})`,
    );
  return { stallThresholdMs, restartAfterMs };
}

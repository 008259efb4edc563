/** Router settings from the environment, beside runtimeSettings() and the contracts file. */
export interface RouterSettings {
  groupId: string;
  transactionalIdPrefix: string;
  /** Compacted topic holding the lane baseline; default `<changes topic>.lanes`. */
  lanesTopic?: string;
  sessionTimeoutMs: number;
  partitionsConsumedConcurrently: number;
  /** How often the live partition count is compared with the baseline while running. */
  laneCheckIntervalMs: number;
  /** How often the contract file is re-read while running (a ConfigMap update). */
  contractReloadMs: number;
  /**
   * How long a record naming a table or column the contracts lack waits for a reload before it
   * is dead-lettered: long enough for a ConfigMap update to reach the mounted file.
   */
  contractHoldMs: number;
}

export function routerSettings(env: NodeJS.ProcessEnv = process.env): RouterSettings {
  return {
    groupId: env.TABLELANE_ROUTER_GROUP ?? 'tablelane-router',
    transactionalIdPrefix: env.TABLELANE_ROUTER_TRANSACTIONAL_ID ?? 'tablelane-router',
    lanesTopic: env.TABLELANE_TOPIC_LANES || undefined,
    sessionTimeoutMs: positive(
      env.TABLELANE_ROUTER_SESSION_TIMEOUT_MS,
      10_000,
      'TABLELANE_ROUTER_SESSION_TIMEOUT_MS',
    ),
    partitionsConsumedConcurrently: positive(
      env.TABLELANE_ROUTER_CONCURRENCY,
      4,
      'TABLELANE_ROUTER_CONCURRENCY',
    ),
    laneCheckIntervalMs: positive(
      env.TABLELANE_ROUTER_LANE_CHECK_MS,
      60_000,
      'TABLELANE_ROUTER_LANE_CHECK_MS',
    ),
    contractReloadMs: positive(env.TABLELANE_CONTRACT_RELOAD_MS, 5_000, 'TABLELANE_CONTRACT_RELOAD_MS'),
    contractHoldMs: positive(env.TABLELANE_CONTRACT_HOLD_MS, 120_000, 'TABLELANE_CONTRACT_HOLD_MS'),
  };
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(raw)}`);
  return n;
}

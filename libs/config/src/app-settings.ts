import { DEFAULT_STALL_RESTART_MS, readVariables, type Environment } from './environment.schema';

/**
 * The settings of each app, read from the environment by libs/config alone: each accessor is
 * pure (the environment in, typed settings out) and throws one ConfigError listing every
 * problem with its fix. The connection settings every app shares are runtimeSettings().
 */

/** The table file, TABLELANE_CONFIG (default `tablelane.yaml`). */
export function configPath(env: Environment = process.env): string {
  return readVariables(env, ['TABLELANE_CONFIG']).TABLELANE_CONFIG;
}

/** LOG_LEVEL (default `info`), checked against the levels pino knows. */
export function logLevel(env: Environment = process.env): string {
  return readVariables(env, ['LOG_LEVEL']).LOG_LEVEL;
}

export interface SinkSettings {
  /** HTTP port of probes, metrics and the status page (PORT, default 8082). */
  port: number;
  groupId: string;
  /** Flushes run at once, one warehouse connection each. */
  concurrency: number;
  /** How long the group waits for a silent member (a killed process) before moving its lanes. */
  sessionTimeoutMs: number;
  /** How long a lane waits for a reload when a change names an unknown table or column. */
  contractHoldMs: number;
  /** A rewritten contract file is picked up within this long even when no change asks for it. */
  contractReloadMs: number;
  /** How often lag per lane and table is read from the cluster. */
  lagProbeMs: number;
  /** How long a stopping sink flushes before it gives up and exits. */
  shutdownGraceMs: number;
  /** application_name of the sink's PostgreSQL sessions (PGAPPNAME). */
  applicationName: string;
  health: HealthSettings;
}

/** How long a lane may go without progress before health calls it stalled, and before a restart. */
export interface HealthSettings {
  /** A lane failing the same batch, or behind without a commit, this long is stalled. */
  stallThresholdMs: number;
  /**
   * A lane stalled this long with nothing failing (behind, but no table reports an error) fails
   * liveness: the consumer looks wedged, and a restart rejoins the group. Never below the threshold.
   */
  restartAfterMs: number;
}

export function sinkSettings(env: Environment = process.env): SinkSettings {
  const read = readVariables(
    env,
    [
      'PORT',
      'PGAPPNAME',
      'TABLELANE_SINK_GROUP',
      'TABLELANE_SINK_CONCURRENCY',
      'TABLELANE_SINK_SESSION_TIMEOUT_MS',
      'TABLELANE_CONTRACT_HOLD_MS',
      'TABLELANE_CONTRACT_RELOAD_MS',
      'TABLELANE_LAG_PROBE_MS',
      'TABLELANE_SHUTDOWN_GRACE_MS',
      'TABLELANE_STALL_THRESHOLD_MS',
      'TABLELANE_STALL_RESTART_MS',
    ],
    ({ TABLELANE_STALL_THRESHOLD_MS: threshold, TABLELANE_STALL_RESTART_MS: restart }) =>
      threshold !== undefined && restart !== undefined && restart < threshold
        ? [
            `TABLELANE_STALL_RESTART_MS (${restart}) must not be below TABLELANE_STALL_THRESHOLD_MS (${threshold})`,
          ]
        : [],
  );
  const stallThresholdMs = read.TABLELANE_STALL_THRESHOLD_MS;
  return {
    port: read.PORT ?? 8082,
    groupId: read.TABLELANE_SINK_GROUP,
    concurrency: read.TABLELANE_SINK_CONCURRENCY,
    sessionTimeoutMs: read.TABLELANE_SINK_SESSION_TIMEOUT_MS,
    contractHoldMs: read.TABLELANE_CONTRACT_HOLD_MS,
    contractReloadMs: read.TABLELANE_CONTRACT_RELOAD_MS,
    lagProbeMs: read.TABLELANE_LAG_PROBE_MS,
    shutdownGraceMs: read.TABLELANE_SHUTDOWN_GRACE_MS,
    applicationName: read.PGAPPNAME,
    health: {
      stallThresholdMs,
      restartAfterMs: read.TABLELANE_STALL_RESTART_MS ?? Math.max(DEFAULT_STALL_RESTART_MS, stallThresholdMs),
    },
  };
}

/** How the PostgreSQL warehouse runs its flushes (TABLELANE_PG_ISOLATION). */
export function postgresSettings(env: Environment = process.env): {
  isolation: 'read committed' | 'serializable';
} {
  return { isolation: readVariables(env, ['TABLELANE_PG_ISOLATION']).TABLELANE_PG_ISOLATION };
}

export interface RouterSettings {
  /** HTTP port of probes and metrics (PORT, default 8083) and the address it binds (HOST). */
  port: number;
  host: string;
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

export function routerSettings(env: Environment = process.env): RouterSettings {
  const read = readVariables(env, [
    'PORT',
    'HOST',
    'TABLELANE_ROUTER_GROUP',
    'TABLELANE_ROUTER_TRANSACTIONAL_ID',
    'TABLELANE_TOPIC_LANES',
    'TABLELANE_ROUTER_SESSION_TIMEOUT_MS',
    'TABLELANE_ROUTER_CONCURRENCY',
    'TABLELANE_ROUTER_LANE_CHECK_MS',
    'TABLELANE_CONTRACT_RELOAD_MS',
    'TABLELANE_CONTRACT_HOLD_MS',
  ]);
  return {
    port: read.PORT ?? 8083,
    host: read.HOST,
    groupId: read.TABLELANE_ROUTER_GROUP,
    transactionalIdPrefix: read.TABLELANE_ROUTER_TRANSACTIONAL_ID,
    lanesTopic: read.TABLELANE_TOPIC_LANES,
    sessionTimeoutMs: read.TABLELANE_ROUTER_SESSION_TIMEOUT_MS,
    partitionsConsumedConcurrently: read.TABLELANE_ROUTER_CONCURRENCY,
    laneCheckIntervalMs: read.TABLELANE_ROUTER_LANE_CHECK_MS,
    contractReloadMs: read.TABLELANE_CONTRACT_RELOAD_MS,
    contractHoldMs: read.TABLELANE_CONTRACT_HOLD_MS,
  };
}

/** Gateway settings, beside runtimeSettings() and the contracts file. */
export interface ProducerSettings {
  /** HTTP port of ingest, probes and metrics (PORT, default 8080) and the address it binds (HOST). */
  port: number;
  host: string;
  /** Largest accepted request body; bigger ones get 413. */
  maxBodyBytes: number;
}

export function producerSettings(env: Environment = process.env): ProducerSettings {
  const read = readVariables(env, ['PORT', 'HOST', 'TABLELANE_MAX_BODY_BYTES']);
  return { port: read.PORT ?? 8080, host: read.HOST, maxBodyBytes: read.TABLELANE_MAX_BODY_BYTES };
}

/**
 * The gateway's API keys as configured: the JSON of TABLELANE_API_KEYS, or of the file named by
 * TABLELANE_API_KEYS_FILE (an empty value counts as unset; both set is refused). The gateway
 * parses and checks them; `source` names where they came from, for its messages.
 */
export interface ApiKeySettings {
  json?: string;
  source: string;
}

export function apiKeySettings(env: Environment = process.env): ApiKeySettings {
  const read = readVariables(env, ['TABLELANE_API_KEYS']);
  const file = env.TABLELANE_API_KEYS_FILE || undefined;
  return {
    json: read.TABLELANE_API_KEYS || undefined,
    source: file ? `TABLELANE_API_KEYS_FILE ${file}` : 'TABLELANE_API_KEYS',
  };
}

/** What the CLI reads beside runtimeSettings(): the sinks' group and the router's lane-baseline topic. */
export interface CliSettings {
  sinkGroup: string;
  /** The router's own override of the lane-baseline topic, so both name the same topic. */
  lanesTopic?: string;
}

export function cliSettings(env: Environment = process.env): CliSettings {
  const read = readVariables(env, ['TABLELANE_SINK_GROUP', 'TABLELANE_TOPIC_LANES']);
  return { sinkGroup: read.TABLELANE_SINK_GROUP, lanesTopic: read.TABLELANE_TOPIC_LANES };
}

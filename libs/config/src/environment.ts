import { environmentSchema } from './environment.schema';
import type { SettingMeta } from './setting-meta';

/** One environment variable as the settings reference lists it. */
export interface EnvironmentVariable {
  name: string;
  valueType: string;
  /** As written in the environment; `unset` when absent means off or "use the other source". */
  default: string;
  readBy: string;
  description: string;
}

/**
 * Variables still read by the app that uses them (router-settings.ts, sink.wiring.ts,
 * redshift-settings.ts, …), declared here so the settings reference lists every variable the
 * code reads; settings-reference.spec.ts fails when the code reads one that is missing here.
 */
const READ_BY_APPS: readonly EnvironmentVariable[] = [
  ...['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'].map((name) => ({
    name,
    valueType: 'string',
    default: 'unset',
    readBy: 'pg (sink, cli)',
    description: 'PostgreSQL connection parts, read by pg itself when DATABASE_URL is unset',
  })),
  v('PGAPPNAME', 'string', 'tablelane-sink', 'sink', "application_name of the sink's PostgreSQL sessions"),
  v(
    'TABLELANE_PG_ISOLATION',
    '`read committed` \\| `serializable`',
    'read committed',
    'sink',
    'isolation of PostgreSQL flushes',
  ),
  v('TABLELANE_SINK_GROUP', 'string', 'tablelane-sink', 'sink, cli', 'consumer group of the sinks'),
  v(
    'TABLELANE_SINK_CONCURRENCY',
    'positive integer',
    '8',
    'sink',
    'flushes run at once (one connection each)',
  ),
  v(
    'TABLELANE_SINK_SESSION_TIMEOUT_MS',
    'positive integer (ms)',
    '6000',
    'sink',
    "how long a dead sink's lanes wait for a new owner",
  ),
  v(
    'TABLELANE_CONTRACT_RELOAD_MS',
    'positive integer (ms)',
    '5000',
    'router, sink',
    'how often the table file is re-read while running',
  ),
  v(
    'TABLELANE_CONTRACT_HOLD_MS',
    'positive integer (ms)',
    '120000',
    'router, sink',
    'how long a change naming an unknown table or column waits for a reload',
  ),
  v(
    'TABLELANE_LAG_PROBE_MS',
    'positive integer (ms)',
    '2000',
    'sink',
    'how often lag is measured for metrics and health',
  ),
  v(
    'TABLELANE_SHUTDOWN_GRACE_MS',
    'positive integer (ms)',
    '25000',
    'sink',
    'how long a stopping sink flushes before it gives up',
  ),
  v(
    'TABLELANE_STALL_THRESHOLD_MS',
    'positive integer (ms)',
    '60000',
    'sink',
    'a lane without progress this long is reported stalled',
  ),
  v(
    'TABLELANE_STALL_RESTART_MS',
    'positive integer (ms)',
    '600000',
    'sink',
    'a lane stalled this long with nothing failing fails liveness (at least the stall threshold)',
  ),
  v(
    'TABLELANE_FAULTS',
    'list of point=action',
    'unset',
    'sink',
    'test only: inject faults at named points of a flush',
  ),
  v('TABLELANE_ROUTER_GROUP', 'string', 'tablelane-router', 'router', 'consumer group of the routers'),
  v(
    'TABLELANE_ROUTER_TRANSACTIONAL_ID',
    'string',
    'tablelane-router',
    'router',
    "prefix of the routers' transactional ids",
  ),
  v(
    'TABLELANE_ROUTER_SESSION_TIMEOUT_MS',
    'positive integer (ms)',
    '10000',
    'router',
    'consumer session timeout of the routers',
  ),
  v('TABLELANE_ROUTER_CONCURRENCY', 'positive integer', '4', 'router', 'ingest partitions routed at once'),
  v(
    'TABLELANE_ROUTER_LANE_CHECK_MS',
    'positive integer (ms)',
    '60000',
    'router',
    'how often the partition count is compared with the lane baseline',
  ),
  v(
    'TABLELANE_TOPIC_LANES',
    'Kafka topic name',
    '<changes topic>.lanes',
    'router, cli',
    'compacted topic holding the lane baseline',
  ),
  v(
    'TABLELANE_API_KEYS',
    'key entries',
    'unset',
    'producer',
    'hashed API keys of the gateway; without keys it refuses to start',
  ),
  v(
    'TABLELANE_API_KEYS_FILE',
    'path',
    'unset',
    'producer',
    'file holding the API keys, when TABLELANE_API_KEYS is unset',
  ),
  v(
    'TABLELANE_MAX_BODY_BYTES',
    'positive integer (bytes)',
    '1000000',
    'producer',
    'largest accepted request body; bigger ones get 413',
  ),
  v(
    'PORT',
    'port number',
    '8080 producer, 8082 sink, 8083 router',
    'producer, sink, router',
    'HTTP port (ingest, probes and metrics)',
  ),
  v('HOST', 'address', '0.0.0.0', 'producer, router', 'address the HTTP port binds to'),
  v('LOG_LEVEL', 'pino level', 'info', 'all apps', 'log level; secrets are redacted'),
  v('REDSHIFT_URL', 'PostgreSQL URL', 'unset', 'sink', 'Redshift connection (or the REDSHIFT_HOST… parts)'),
  v('REDSHIFT_HOST', 'string', 'unset', 'sink', 'Redshift host, required without REDSHIFT_URL'),
  v('REDSHIFT_PORT', 'port number', '5439', 'sink', 'Redshift port'),
  v('REDSHIFT_DATABASE', 'string', 'unset', 'sink', 'Redshift database, required without REDSHIFT_URL'),
  v('REDSHIFT_USER', 'string', 'unset', 'sink', 'Redshift user, required without REDSHIFT_URL'),
  v('REDSHIFT_PASSWORD', 'secret', 'unset', 'sink', 'Redshift password'),
  v('REDSHIFT_SSL', '`true` \\| `false`', 'true', 'sink', 'TLS to Redshift'),
  v(
    'REDSHIFT_IAM_ROLE',
    'ARN',
    'unset',
    'sink',
    'role COPY reads S3 with (recommended); or the COPY keys below',
  ),
  v('REDSHIFT_COPY_ACCESS_KEY_ID', 'string', 'unset', 'sink', 'S3 key COPY reads with, instead of a role'),
  v('REDSHIFT_COPY_SECRET_ACCESS_KEY', 'secret', 'unset', 'sink', 'S3 secret COPY reads with'),
  v('REDSHIFT_COPY_SESSION_TOKEN', 'secret', 'unset', 'sink', 'session token for temporary COPY keys'),
  v(
    'REDSHIFT_COPY_REGION',
    'string',
    'unset',
    'sink',
    "region of the bucket when it differs from the cluster's",
  ),
  v(
    'REDSHIFT_MERGE',
    '`delete-insert` \\| `merge`',
    'delete-insert',
    'sink',
    'how a batch is merged into its target',
  ),
  v('REDSHIFT_LOAD_TIMEOUT_MS', 'whole number (ms), 0 for none', '300000', 'sink', 'bound on one load'),
  v('REDSHIFT_MANIFEST', '`true` \\| `false`', 'false', 'sink', 'COPY through a manifest'),
  v('REDSHIFT_LOCK_TABLES', '`true` \\| `false`', 'false', 'sink', 'LOCK the target before a merge'),
];

function v(
  name: string,
  valueType: string,
  fallback: string,
  readBy: string,
  description: string,
): EnvironmentVariable {
  return { name, valueType, default: fallback, readBy, description };
}

/** Variables of the shared environment schema, described by the schema itself. */
const FROM_SCHEMA: readonly EnvironmentVariable[] = Object.entries(environmentSchema.shape).map(
  ([name, schema]) => {
    const meta = schema.meta() as SettingMeta | undefined;
    const def = schema.def;
    return {
      name,
      valueType: meta?.valueType ?? 'string',
      default: meta?.defaultText ?? (def.type === 'default' ? String(def.defaultValue) : 'unset'),
      readBy: 'all apps',
      description: meta?.description ?? '',
    };
  },
);

/** Every environment variable tablelane reads, in the order the reference lists them. */
export const ENVIRONMENT: readonly EnvironmentVariable[] = [...FROM_SCHEMA, ...READ_BY_APPS];

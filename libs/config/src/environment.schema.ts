import { z } from 'zod';
import { ConfigError } from './config-error';
import { readSecretFile, rememberSecret, unreadable } from './secrets';
import { documented, type SettingMeta } from './setting-meta';
import type { TopicSettings } from './tablelane-config';

/** The environment as the apps receive it; only the variables named below are read. */
export type Environment = Readonly<Record<string, string | undefined>>;

const text = (fallback: string, valueType: string, description: string, readBy?: string) =>
  documented(z.string().default(fallback), { valueType, description, readBy });
const unset = (valueType: string, description: string, readBy?: string) =>
  documented(z.string().optional(), { valueType, description, defaultText: 'unset', readBy });
/**
 * A secret, unset by default: given in the variable or as `<NAME>_FILE`, the path of a mounted
 * file (readVariables reads it); see SettingMeta.secret for `kind`.
 */
const secret = (valueType: string, description: string, readBy?: string, kind: 'scrub' | 'field' = 'scrub') =>
  documented(z.string().optional(), { valueType, description, defaultText: 'unset', readBy, secret: kind });

/** What is wrong with a variable's value, in words that name the fix (the variable's name comes first). */
class Invalid {
  constructor(readonly problem: string) {}
}

/** A variable read as something other than a string; `read` gets the raw value (undefined when unset). */
function variable<T>(
  meta: SettingMeta & { defaultText: string },
  read: (raw: string | undefined) => T | Invalid,
) {
  return documented(
    z
      .string()
      .optional()
      .transform((raw, ctx): T => {
        const value = read(raw);
        if (value instanceof Invalid) {
          ctx.addIssue({ code: 'custom', message: value.problem });
          return z.NEVER;
        }
        return value;
      }),
    meta,
  );
}

/** Unset or empty means `fallback` (none: the reader decides); anything else must be a whole number above 0. */
function positive<F extends number | undefined>(
  fallback: F,
  unit: '' | 'ms' | 'bytes',
  description: string,
  readBy: string,
  defaultText = String(fallback),
) {
  return variable(
    { valueType: `positive integer${unit ? ` (${unit})` : ''}`, description, readBy, defaultText },
    (raw) => {
      if (raw === undefined || raw === '') return fallback;
      const n = Number(raw);
      if (Number.isInteger(n) && n > 0) return n;
      return new Invalid(
        `must be a positive whole number${unit === 'ms' ? ' of milliseconds' : ''}, not ${JSON.stringify(raw)}`,
      );
    },
  );
}

/** `true` or `false`; set to anything else (the empty string too) is a problem. */
const flag = (fallback: boolean, description: string, readBy?: string) =>
  variable({ valueType: '`true` \\| `false`', description, readBy, defaultText: String(fallback) }, (raw) => {
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === 'false') return raw === 'true';
    return new Invalid(`must be true or false, not ${raw}`);
  });

/** The local stack's S3 (S3Proxy or MinIO) and its fixed key pair, used while S3_ENDPOINT is unset. */
export const LOCAL_S3_ENDPOINT = 'http://127.0.0.1:9000';
export const LOCAL_S3_KEYS = { accessKeyId: 'tablelane', secretAccessKey: 'tablelane-secret' } as const;

/** The SASL mechanisms the Kafka clients speak (KAFKA_SASL_MECHANISM). */
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'aws-msk-iam'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Levels pino accepts for `level`: the standard ones in any case, and `silent`. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * A dead sink's lanes wait this long for a new owner, and a crash loop costs it once per crash:
 * the chaos suite's 20 kills left lanes 46-64 s without progress at 10 s, under 30 s at 6 s.
 * 6 s is the smallest session a broker accepts by default (group.min.session.timeout.ms); the
 * price is that an event loop blocked for 6 s (heartbeats every 600 ms) costs a rebalance, and
 * the sink's intake never blocks on a flush.
 */
const DEFAULT_SINK_SESSION_TIMEOUT_MS = 6_000;

/**
 * A change naming a table or column the contracts lack waits this long for the ConfigMap update
 * to reach the mounted file (the kubelet syncs it within about a minute) before it is
 * dead-lettered, from where `tablelane dlq replay` can bring it back.
 */
const DEFAULT_CONTRACT_HOLD_MS = 120_000;

/**
 * A minute: far above the 1 s flush age and a few lock timeouts (2 s each) with backoff, so a
 * busy warehouse or a short analyst query does not page anyone; short enough that a lane stuck
 * behind a forgotten transaction shows within minutes.
 */
export const DEFAULT_STALL_THRESHOLD_MS = 60_000;
/** Ten minutes: a restart costs a rebalance of every lane, so only a long, unexplained stall earns one. */
export const DEFAULT_STALL_RESTART_MS = 600_000;

/**
 * Every environment variable tablelane reads, in the order the settings reference lists them,
 * each validated here and read through the accessors of app-settings.ts, runtime-settings.ts and
 * redshift-environment.ts. The connection defaults point at the local stack (docker compose), so
 * a developer sets nothing; a deployment sets every one of them. Variables that a library reads
 * itself (pg's PG*) are declared in environment.ts.
 */
export const environmentSchema = z.object({
  TABLELANE_CONFIG: text('tablelane.yaml', 'path', 'the table file'),
  TABLELANE_TOPIC_INGEST: text(
    'tablelane.ingest',
    'Kafka topic name',
    'topic writers produce to (`topics.ingest` wins)',
  ),
  TABLELANE_TOPIC_CHANGES: text(
    'tablelane.changes',
    'Kafka topic name',
    'topic the router writes validated changes to, one partition per lane (`topics.changes` wins)',
  ),
  TABLELANE_TOPIC_DLQ: text('tablelane.dlq', 'Kafka topic name', 'dead-letter topic (`topics.dlq` wins)'),
  KAFKA_BROKERS: text('127.0.0.1:9092', 'comma-separated host:port', 'Kafka bootstrap brokers'),
  KAFKA_CLIENT_ID: text('tablelane', 'string', 'prefix of every Kafka client id (the app name is appended)'),
  KAFKA_SSL: flag(false, 'TLS to the brokers (SSL or SASL_SSL listeners); every KAFKA_SSL_* needs it'),
  KAFKA_SSL_CA_LOCATION: unset(
    'path',
    "PEM file of the CA bundle the brokers' certificates are checked against; unset: Node's default trust store",
  ),
  KAFKA_SSL_CERT_LOCATION: unset(
    'path',
    'PEM file of the client certificate (mutual TLS), with KAFKA_SSL_KEY_LOCATION',
  ),
  KAFKA_SSL_KEY_LOCATION: unset('path', 'PEM file of the client private key, with KAFKA_SSL_CERT_LOCATION'),
  KAFKA_SSL_KEY_PASSWORD: secret('secret', 'passphrase of an encrypted client key'),
  KAFKA_SSL_VERIFY_HOSTNAME: variable(
    {
      valueType: '`true` \\| `false`',
      description:
        "check that the broker's certificate names the host connected to; turn off only for testing",
      defaultText: 'true',
    },
    (raw): boolean | undefined | Invalid => {
      if (raw === undefined) return undefined;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return new Invalid(`must be true or false, not ${raw}`);
    },
  ),
  KAFKA_SASL_MECHANISM: variable(
    {
      valueType: '`plain` \\| `scram-sha-256` \\| `scram-sha-512` \\| `aws-msk-iam`',
      description:
        'SASL authentication to the brokers (any case; `aws-msk-iam` needs KAFKA_SSL); unset: none',
      defaultText: 'unset',
    },
    (raw): SaslMechanism | undefined | Invalid => {
      if (raw === undefined || raw === '') return undefined;
      const mechanism = raw.toLowerCase().replace(/_/g, '-');
      if ((SASL_MECHANISMS as readonly string[]).includes(mechanism)) return mechanism as SaslMechanism;
      return new Invalid(`must be one of ${SASL_MECHANISMS.join(', ')}, not ${JSON.stringify(raw)}`);
    },
  ),
  KAFKA_SASL_USERNAME: unset('string', 'SASL user (plain, scram-*); with Confluent Cloud the API key'),
  KAFKA_SASL_PASSWORD: secret(
    'secret',
    "SASL password (plain, scram-*); with Confluent Cloud the API key's secret",
  ),
  KAFKA_SASL_AWS_REGION: unset(
    'string',
    "region of the MSK cluster for aws-msk-iam (default AWS_REGION); credentials come from the AWS SDK's default chain",
  ),
  AWS_REGION: unset('string', 'default of KAFKA_SASL_AWS_REGION (the AWS SDK reads it too)'),
  SCHEMA_REGISTRY_URL: text(
    'http://127.0.0.1:8081/apis/ccompat/v7',
    'URL',
    'Confluent-compatible schema registry (Apicurio ccompat here); `https://key:secret@host` is read as basic auth',
  ),
  SCHEMA_REGISTRY_SSL_CA_LOCATION: unset(
    'path',
    "PEM file of the CA bundle for an https registry; unset: Node's default trust store",
  ),
  SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: secret(
    '`key:secret`',
    "registry basic auth, as Confluent's basic.auth.user.info (Confluent Cloud: the registry API key and secret)",
  ),
  // Unset, it is the local stack's (runtimeSettings), whose key pair then applies too.
  S3_ENDPOINT: variable(
    {
      valueType: 'URL',
      description: "S3 endpoint for staged batches; empty: AWS's regional endpoint",
      defaultText: LOCAL_S3_ENDPOINT,
    },
    (raw) => raw,
  ),
  S3_REGION: text('us-east-1', 'string', 'S3 region (and the region Aurora imports from)'),
  S3_BUCKET: text('tablelane', 'string', 'bucket staged batches are written to'),
  S3_PREFIX: text('staging', 'string', 'key prefix of staged batches'),
  S3_ACCESS_KEY_ID: secret(
    'string',
    "S3 access key, with S3_SECRET_ACCESS_KEY; unset: the AWS SDK's default chain (environment, IRSA web identity, container or instance role); without S3_ENDPOINT the local stack's `tablelane`",
    undefined,
    'field',
  ),
  S3_SECRET_ACCESS_KEY: secret(
    'secret',
    "S3 secret key, with S3_ACCESS_KEY_ID; without S3_ENDPOINT the local stack's `tablelane-secret`",
  ),
  S3_FORCE_PATH_STYLE: text('true', '`true` \\| `false`', 'path-style bucket addressing (S3Proxy, MinIO)'),
  DATABASE_URL: secret(
    'PostgreSQL URL',
    'PostgreSQL connection; when unset pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE',
  ),
  // pg reads PGPASSWORD itself; PGPASSWORD_FILE reaches the pool through runtimeSettings.
  PGPASSWORD: secret(
    'secret',
    'PostgreSQL password, when DATABASE_URL has none (pg reads PGPASSWORD itself; PGPASSWORD_FILE is handed to the pool)',
    'pg (sink, cli)',
  ),
  // libpq's TLS variables, read by tablelane (pgTlsVariables; libs/warehouse pg-tls.ts checks
  // them), never by pg: the URL's own sslmode, sslrootcert, sslcert and sslkey win over them.
  PGSSLMODE: documented(z.string().optional(), {
    valueType: '`disable` \\| `require` \\| `verify-ca` \\| `verify-full`',
    description:
      "TLS to PostgreSQL when DATABASE_URL has no `sslmode`, as libpq's; `prefer` and `allow` are refused",
    readBy: 'sink, cli',
    defaultText: 'disable',
  }),
  PGSSLROOTCERT: unset(
    'path',
    "CA bundle (PEM) the server's certificate is verified against, when DATABASE_URL has no `sslrootcert`; unset or `system`: Node's default CAs",
    'sink, cli',
  ),
  PGSSLCERT: unset(
    'path',
    'client certificate (PEM) for TLS client authentication, with PGSSLKEY',
    'sink, cli',
  ),
  PGSSLKEY: unset('path', 'private key (PEM, unencrypted) of PGSSLCERT', 'sink, cli'),

  PGAPPNAME: text('tablelane-sink', 'string', "application_name of the sink's PostgreSQL sessions", 'sink'),
  TABLELANE_PG_ISOLATION: variable(
    {
      valueType: '`read committed` \\| `serializable`',
      description: 'isolation of PostgreSQL flushes',
      readBy: 'sink',
      defaultText: 'read committed',
    },
    (raw) =>
      raw === undefined
        ? 'read committed'
        : raw === 'read committed' || raw === 'serializable'
          ? raw
          : new Invalid(`must be read committed or serializable, not ${JSON.stringify(raw)}`),
  ),
  TABLELANE_SINK_GROUP: text('tablelane-sink', 'string', 'consumer group of the sinks', 'sink, cli'),
  TABLELANE_SINK_CONCURRENCY: positive(8, '', 'flushes run at once (one connection each)', 'sink'),
  TABLELANE_SINK_SESSION_TIMEOUT_MS: positive(
    DEFAULT_SINK_SESSION_TIMEOUT_MS,
    'ms',
    "how long a dead sink's lanes wait for a new owner",
    'sink',
  ),
  TABLELANE_CONTRACT_RELOAD_MS: positive(
    5_000,
    'ms',
    'how often the table file is re-read while running',
    'router, sink',
  ),
  TABLELANE_CONTRACT_HOLD_MS: positive(
    DEFAULT_CONTRACT_HOLD_MS,
    'ms',
    'how long a change naming an unknown table or column waits for a reload',
    'router, sink',
  ),
  TABLELANE_LAG_PROBE_MS: positive(2_000, 'ms', 'how often lag is measured for metrics and health', 'sink'),
  TABLELANE_SHUTDOWN_GRACE_MS: positive(
    25_000,
    'ms',
    'how long a stopping sink flushes before it gives up',
    'sink',
  ),
  TABLELANE_STALL_THRESHOLD_MS: positive(
    DEFAULT_STALL_THRESHOLD_MS,
    'ms',
    'a lane without progress this long is reported stalled',
    'sink',
  ),
  // Unset, it is the larger of its default and the stall threshold (sinkSettings).
  TABLELANE_STALL_RESTART_MS: positive(
    undefined,
    'ms',
    'a lane stalled this long with nothing failing fails liveness (at least the stall threshold)',
    'sink',
    String(DEFAULT_STALL_RESTART_MS),
  ),
  // Read by apps/sink/src/flush/fault-points.ts, for the integration suites only.
  TABLELANE_FAULTS: unset(
    'list of point=action',
    'test only: inject faults at named points of a flush',
    'sink',
  ),

  TABLELANE_ROUTER_GROUP: text('tablelane-router', 'string', 'consumer group of the routers', 'router'),
  TABLELANE_ROUTER_TRANSACTIONAL_ID: text(
    'tablelane-router',
    'string',
    "prefix of the routers' transactional ids",
    'router',
  ),
  TABLELANE_ROUTER_SESSION_TIMEOUT_MS: positive(
    10_000,
    'ms',
    'consumer session timeout of the routers',
    'router',
  ),
  TABLELANE_ROUTER_CONCURRENCY: positive(4, '', 'ingest partitions routed at once', 'router'),
  TABLELANE_ROUTER_LANE_CHECK_MS: positive(
    60_000,
    'ms',
    'how often the partition count is compared with the lane baseline',
    'router',
  ),
  TABLELANE_TOPIC_LANES: variable(
    {
      valueType: 'Kafka topic name',
      description: 'compacted topic holding the lane baseline',
      readBy: 'router, cli',
      defaultText: '<changes topic>.lanes',
    },
    (raw) => raw || undefined,
  ),

  TABLELANE_API_KEYS: secret(
    'key entries',
    'hashed API keys of the gateway (JSON); without keys it refuses to start',
    'producer',
  ),
  TABLELANE_MAX_BODY_BYTES: positive(
    1_000_000,
    'bytes',
    'largest accepted request body; bigger ones get 413',
    'producer',
  ),
  // Unset or empty, each app listens on its own port (app-settings.ts); 0 picks a free one.
  PORT: variable(
    {
      valueType: 'port number',
      description: 'HTTP port (ingest, probes and metrics)',
      readBy: 'producer, sink, router',
      defaultText: '8080 producer, 8082 sink, 8083 router',
    },
    (raw) => {
      if (raw === undefined || raw === '') return undefined;
      const n = Number(raw);
      if (Number.isInteger(n) && n >= 0 && n <= 65_535) return n;
      return new Invalid(
        `must be a port number (0 to 65535, 0 for any free port), not ${JSON.stringify(raw)}`,
      );
    },
  ),
  HOST: text('0.0.0.0', 'address', 'address the HTTP port binds to', 'producer, router'),
  LOG_LEVEL: variable(
    { valueType: 'pino level', description: 'log level; secrets are redacted', defaultText: 'info' },
    (raw) => {
      const level = raw ?? 'info';
      if (LOG_LEVELS.includes(level.toLowerCase()) || level === 'silent') return level;
      return new Invalid(`must be one of ${LOG_LEVELS.join(', ')} or silent, not ${JSON.stringify(raw)}`);
    },
  ),

  REDSHIFT_URL: secret('PostgreSQL URL', 'Redshift connection (or the REDSHIFT_HOST… parts)', 'sink'),
  REDSHIFT_HOST: unset('string', 'Redshift host, required without REDSHIFT_URL', 'sink'),
  // Checked only without REDSHIFT_URL, where it is used (redshift-environment.ts).
  REDSHIFT_PORT: documented(z.string().optional(), {
    valueType: 'port number',
    description: 'Redshift port',
    readBy: 'sink',
    defaultText: '5439',
  }),
  REDSHIFT_DATABASE: unset('string', 'Redshift database, required without REDSHIFT_URL', 'sink'),
  REDSHIFT_USER: unset('string', 'Redshift user, required without REDSHIFT_URL', 'sink'),
  REDSHIFT_PASSWORD: secret('secret', 'Redshift password', 'sink'),
  REDSHIFT_SSL: flag(
    true,
    'TLS to Redshift: `true` is `sslmode=verify-full`, `false` is `disable`; an `sslmode` in REDSHIFT_URL wins',
    'sink',
  ),
  REDSHIFT_SSLROOTCERT: unset(
    'path',
    "CA bundle (PEM) Redshift's certificate is verified against; unset: Node's default CAs",
    'sink',
  ),
  REDSHIFT_IAM_ROLE: unset('ARN', 'role COPY reads S3 with (recommended); or the COPY keys below', 'sink'),
  REDSHIFT_COPY_ACCESS_KEY_ID: secret('string', 'S3 key COPY reads with, instead of a role', 'sink', 'field'),
  REDSHIFT_COPY_SECRET_ACCESS_KEY: secret('secret', 'S3 secret COPY reads with', 'sink'),
  REDSHIFT_COPY_SESSION_TOKEN: secret('secret', 'session token for temporary COPY keys', 'sink'),
  REDSHIFT_COPY_REGION: unset('string', "region of the bucket when it differs from the cluster's", 'sink'),
  REDSHIFT_MERGE: variable(
    {
      valueType: '`delete-insert` \\| `merge`',
      description: 'how a batch is merged into its target',
      readBy: 'sink',
      defaultText: 'delete-insert',
    },
    (raw) => {
      const strategy = raw ?? 'delete-insert';
      if (strategy === 'delete-insert' || strategy === 'merge') return strategy;
      return new Invalid(`must be delete-insert or merge, not ${strategy}`);
    },
  ),
  REDSHIFT_LOAD_TIMEOUT_MS: variable(
    {
      valueType: 'whole number (ms), 0 for none',
      description: 'bound on one load',
      readBy: 'sink',
      defaultText: '300000',
    },
    (raw) => {
      const ms = Number(raw ?? 300_000);
      if (Number.isInteger(ms) && ms >= 0) return ms;
      return new Invalid(`must be a whole number of ms (0 for none), not ${raw}`);
    },
  ),
  REDSHIFT_MANIFEST: flag(false, 'COPY through a manifest', 'sink'),
  REDSHIFT_LOCK_TABLES: flag(false, 'LOCK the target before a merge', 'sink'),

  SNAPSHOT_SOURCE_URL: secret(
    'PostgreSQL URL',
    'database `tablelane snapshot --source postgres` reads (PostgreSQL, Aurora); `--source-url` wins',
    'cli',
  ),
  SNAPSHOT_S3_PREFIX: text(
    'snapshots',
    'string',
    'key prefix in S3_BUCKET under which `tablelane snapshot --source redshift` UNLOADs',
    'cli',
  ),
});

export type EnvironmentSettings = z.output<typeof environmentSchema>;
export type EnvironmentVariableName = keyof EnvironmentSettings;

/**
 * Reads the named variables, and only those: a bad value of a variable an app does not use never
 * stops it. `relations` checks how the values relate (what is required without what, which
 * bounds which) and sees the variables that did parse. Every problem is collected, relations'
 * first, then the values that do not parse; one ConfigError lists them all. A secret is read
 * from its `<NAME>_FILE` when that is set (rawValue).
 */
export function readVariables<K extends EnvironmentVariableName>(
  env: Environment,
  names: readonly K[],
  relations?: (read: Partial<Pick<EnvironmentSettings, K>>) => string[],
): Pick<EnvironmentSettings, K> {
  const read: Partial<Pick<EnvironmentSettings, K>> = {};
  const problems: string[] = [];
  for (const name of names) {
    const schema = environmentSchema.shape[name] as z.ZodType;
    const raw = rawValue(env, name, schema, problems);
    if (raw instanceof Invalid) continue;
    const parsed = schema.safeParse(raw);
    if (parsed.success) read[name] = parsed.data as EnvironmentSettings[K];
    else problems.push(...parsed.error.issues.map((issue) => `${name} ${issue.message}`));
  }
  const all = [...(relations?.(read) ?? []), ...problems];
  if (all.length > 0) throw new ConfigError('environment', [...new Set(all)]);
  return read as Pick<EnvironmentSettings, K>;
}

/**
 * The raw value of a variable. A secret may be given as `<NAME>_FILE` instead, the path of a
 * mounted file whose contents (trailing line breaks trimmed) are the value; an empty variable
 * counts as unset. Secrets read are remembered for redactSecrets.
 */
function rawValue(
  env: Environment,
  name: string,
  schema: z.ZodType,
  problems: string[],
): string | undefined | Invalid {
  const kind = (schema.meta() as SettingMeta | undefined)?.secret;
  if (kind === undefined) return env[name];
  const fileName = `${name}_FILE`;
  const path = env[fileName] || undefined;
  let value = env[name];
  if (path !== undefined) {
    if (value) {
      problems.push(
        `${name} and ${fileName} are both set: set only one (${fileName} names a file holding the value)`,
      );
      return new Invalid('both set');
    }
    try {
      value = readSecretFile(path);
    } catch (error) {
      problems.push(`${fileName} ${path}: cannot read it: ${unreadable(error)}`);
      return new Invalid('unreadable');
    }
  }
  if (kind === 'scrub') {
    rememberSecret(value);
    rememberSecret(passwordOf(value));
  }
  return value;
}

/** The password of a connection URL (DATABASE_URL, REDSHIFT_URL), decoded, when it has one. */
function passwordOf(value: string | undefined): string | undefined {
  if (!value?.includes('://')) return undefined;
  try {
    const { password } = new URL(value);
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

export function topicDefaults(env: Environment): TopicSettings {
  const settings = readVariables(env, [
    'TABLELANE_TOPIC_INGEST',
    'TABLELANE_TOPIC_CHANGES',
    'TABLELANE_TOPIC_DLQ',
  ]);
  return {
    ingest: settings.TABLELANE_TOPIC_INGEST,
    changes: settings.TABLELANE_TOPIC_CHANGES,
    dlq: settings.TABLELANE_TOPIC_DLQ,
  };
}

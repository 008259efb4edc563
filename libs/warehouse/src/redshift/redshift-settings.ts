import { ConfigError } from '@app/config';
import type { PoolConfig } from 'pg';
import type { RedshiftCopyCredentials, RedshiftCopyOptions } from './redshift-copy';

/**
 * Connection and COPY settings for Redshift, from the environment. The bucket and prefix are
 * the staging ones (S3_BUCKET, S3_PREFIX), since Redshift loads what the sink staged.
 */
export interface RedshiftSettings {
  pool: PoolConfig;
  copy: RedshiftCopyOptions;
  lockTables: boolean;
  mergeStrategy: 'delete-insert' | 'merge';
  loadTimeoutMs: number;
}

/**
 * REDSHIFT_URL (postgres://user:password@host:5439/db), or REDSHIFT_HOST, REDSHIFT_PORT (5439),
 * REDSHIFT_DATABASE, REDSHIFT_USER, REDSHIFT_PASSWORD; REDSHIFT_SSL (true). COPY credentials:
 * REDSHIFT_IAM_ROLE, or REDSHIFT_COPY_ACCESS_KEY_ID + REDSHIFT_COPY_SECRET_ACCESS_KEY
 * (+ REDSHIFT_COPY_SESSION_TOKEN). REDSHIFT_COPY_REGION: the bucket's region when it is not
 * the cluster's. REDSHIFT_MANIFEST, REDSHIFT_LOCK_TABLES (false), REDSHIFT_MERGE
 * (delete-insert | merge), REDSHIFT_LOAD_TIMEOUT_MS (300000). Collects every problem first.
 */
export function redshiftSettings(env: NodeJS.ProcessEnv = process.env): RedshiftSettings {
  const problems: string[] = [];
  const flag = (name: string, fallback: boolean) => {
    const value = env[name];
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') problems.push(`${name} must be true or false, not ${value}`);
    return value === 'true';
  };
  const ssl = flag('REDSHIFT_SSL', true);
  let pool: PoolConfig;
  if (env.REDSHIFT_URL) {
    pool = { connectionString: env.REDSHIFT_URL, ssl };
  } else {
    for (const name of ['REDSHIFT_HOST', 'REDSHIFT_DATABASE', 'REDSHIFT_USER']) {
      if (!env[name]) problems.push(`${name} is required (or set REDSHIFT_URL)`);
    }
    const port = Number(env.REDSHIFT_PORT ?? 5439);
    if (!Number.isInteger(port) || port <= 0)
      problems.push(`REDSHIFT_PORT must be a port number, not ${env.REDSHIFT_PORT}`);
    pool = {
      host: env.REDSHIFT_HOST,
      port,
      database: env.REDSHIFT_DATABASE,
      user: env.REDSHIFT_USER,
      password: env.REDSHIFT_PASSWORD,
      ssl,
    };
  }

  let credentials: RedshiftCopyCredentials | undefined;
  const keyId = env.REDSHIFT_COPY_ACCESS_KEY_ID;
  const secret = env.REDSHIFT_COPY_SECRET_ACCESS_KEY;
  if (env.REDSHIFT_IAM_ROLE && (keyId || secret)) {
    problems.push('set either REDSHIFT_IAM_ROLE or REDSHIFT_COPY_ACCESS_KEY_ID/SECRET_ACCESS_KEY, not both');
  } else if (env.REDSHIFT_IAM_ROLE) {
    credentials = { kind: 'iam-role', roleArn: env.REDSHIFT_IAM_ROLE };
  } else if (keyId && secret) {
    credentials = {
      kind: 'access-keys',
      accessKeyId: keyId,
      secretAccessKey: secret,
      ...(env.REDSHIFT_COPY_SESSION_TOKEN ? { sessionToken: env.REDSHIFT_COPY_SESSION_TOKEN } : {}),
    };
  } else {
    problems.push(
      'COPY needs S3 credentials: set REDSHIFT_IAM_ROLE (an IAM role associated with the cluster, recommended) or REDSHIFT_COPY_ACCESS_KEY_ID and REDSHIFT_COPY_SECRET_ACCESS_KEY',
    );
  }

  const mergeStrategy = env.REDSHIFT_MERGE ?? 'delete-insert';
  if (mergeStrategy !== 'delete-insert' && mergeStrategy !== 'merge')
    problems.push(`REDSHIFT_MERGE must be delete-insert or merge, not ${mergeStrategy}`);
  const loadTimeoutMs = Number(env.REDSHIFT_LOAD_TIMEOUT_MS ?? 300_000);
  if (!Number.isInteger(loadTimeoutMs) || loadTimeoutMs < 0)
    problems.push(
      `REDSHIFT_LOAD_TIMEOUT_MS must be a whole number of ms (0 for none), not ${env.REDSHIFT_LOAD_TIMEOUT_MS}`,
    );
  const manifest = flag('REDSHIFT_MANIFEST', false);
  const lockTables = flag('REDSHIFT_LOCK_TABLES', false);

  if (problems.length > 0 || !credentials) throw new ConfigError('environment', problems);
  return {
    pool: { ...pool, application_name: 'tablelane-sink' },
    copy: {
      credentials,
      gzip: true,
      manifest,
      ...(env.REDSHIFT_COPY_REGION ? { region: env.REDSHIFT_COPY_REGION } : {}),
    },
    lockTables,
    mergeStrategy: mergeStrategy as RedshiftSettings['mergeStrategy'],
    loadTimeoutMs,
  };
}

/** A loggable view of the settings: the password and access keys masked, the role shown. */
export function describeRedshiftSettings(settings: RedshiftSettings): Record<string, unknown> {
  const { credentials } = settings.copy;
  return {
    ...settings,
    pool: {
      ...settings.pool,
      password: settings.pool.password ? '***' : undefined,
      connectionString: settings.pool.connectionString?.replace(/:[^:@/]*@/, ':***@'),
    },
    copy: {
      ...settings.copy,
      credentials:
        credentials.kind === 'iam-role'
          ? credentials
          : { kind: credentials.kind, accessKeyId: '***', secretAccessKey: '***' },
    },
  };
}

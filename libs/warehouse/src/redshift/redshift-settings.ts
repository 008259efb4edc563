import { redshiftEnvironment, redshiftTlsVariables, type Environment } from '@app/config';
import type { PoolConfig } from 'pg';
import { describePgTls, pgTlsConnection, sourcedVariables, type PgTls } from '../pg-tls';
import type { RedshiftCopyOptions } from './redshift-copy';

/**
 * Connection and COPY settings for Redshift. The environment is read and checked by libs/config
 * (redshiftEnvironment, which lists the variables); this turns it into pg's pool options and
 * COPY's. The bucket and prefix are the staging ones (S3_BUCKET, S3_PREFIX), since Redshift
 * loads what the sink staged.
 */
export interface RedshiftSettings {
  pool: PoolConfig;
  /** TLS as libpq's sslmode: REDSHIFT_URL's sslmode, else REDSHIFT_SSL (true: verify-full). */
  tls: PgTls;
  copy: RedshiftCopyOptions;
  lockTables: boolean;
  mergeStrategy: 'delete-insert' | 'merge';
  loadTimeoutMs: number;
}

/** Throws a ConfigError listing every problem of the REDSHIFT_* variables, each with its fix. */
export function redshiftSettings(env: Environment, read?: (path: string) => string): RedshiftSettings {
  const settings = redshiftEnvironment(env);
  const { connection, ssl } = settings;
  // The same TLS as PostgreSQL's: REDSHIFT_SSL chooses the mode unless REDSHIFT_URL says one.
  const { pool, tls } = pgTlsConnection(
    {
      server: 'Redshift',
      url: 'url' in connection ? connection.url : undefined,
      urlFrom: 'REDSHIFT_URL',
      ...('host' in connection && { address: `${connection.host}:${connection.port}` }),
      ...sourcedVariables(redshiftTlsVariables(env), { sslrootcert: 'REDSHIFT_SSLROOTCERT' }),
      defaultMode: { value: ssl ? 'verify-full' : 'disable', from: 'REDSHIFT_SSL' },
      rootCertVariable: 'REDSHIFT_SSLROOTCERT',
    },
    read,
  );
  return {
    pool: { ...('url' in connection ? {} : connection), ...pool, application_name: 'tablelane-sink' },
    tls,
    copy: {
      credentials: settings.copyCredentials,
      gzip: true,
      manifest: settings.manifest,
      ...(settings.copyRegion ? { region: settings.copyRegion } : {}),
    },
    lockTables: settings.lockTables,
    mergeStrategy: settings.mergeStrategy,
    loadTimeoutMs: settings.loadTimeoutMs,
  };
}

/** A loggable view of the settings: the password and access keys masked, the role shown. */
export function describeRedshiftSettings(settings: RedshiftSettings): Record<string, unknown> {
  const { credentials } = settings.copy;
  const { tls, pool } = settings;
  return {
    ...settings,
    // The ssl option holds the CA and client key contents: the paths show instead (tls).
    pool: {
      ...pool,
      ssl: undefined,
      password: pool.password ? '***' : undefined,
      connectionString: pool.connectionString?.replace(/:[^:@/]*@/, ':***@'),
    },
    tls: describePgTls(tls),
    copy: {
      ...settings.copy,
      credentials:
        credentials.kind === 'iam-role'
          ? credentials
          : { kind: credentials.kind, accessKeyId: '***', secretAccessKey: '***' },
    },
  };
}

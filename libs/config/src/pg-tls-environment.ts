import { readVariables, type Environment } from './environment.schema';

/**
 * The TLS variables of a PostgreSQL-protocol connection, as given (an empty value counts as
 * unset). libs/warehouse (pg-tls.ts) checks them together with the URL's own parameters, which
 * win over them as in libpq, and builds pg's `ssl` option; pg itself never reads them.
 */
export interface PgTlsVariables {
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
}

/** PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY: libpq's, for DATABASE_URL (or pg's PGHOST… parts). */
export function pgTlsVariables(env: Environment = process.env): PgTlsVariables {
  const read = readVariables(env, ['PGSSLMODE', 'PGSSLROOTCERT', 'PGSSLCERT', 'PGSSLKEY']);
  return withoutEmpty({
    sslmode: read.PGSSLMODE,
    sslrootcert: read.PGSSLROOTCERT,
    sslcert: read.PGSSLCERT,
    sslkey: read.PGSSLKEY,
  });
}

/** REDSHIFT_SSLROOTCERT: the CA bundle for Redshift (REDSHIFT_SSL, in redshiftEnvironment, turns TLS on or off). */
export function redshiftTlsVariables(env: Environment = process.env): PgTlsVariables {
  return withoutEmpty({ sslrootcert: readVariables(env, ['REDSHIFT_SSLROOTCERT']).REDSHIFT_SSLROOTCERT });
}

function withoutEmpty(variables: PgTlsVariables): PgTlsVariables {
  return Object.fromEntries(Object.entries(variables).filter(([, value]) => value)) as PgTlsVariables;
}

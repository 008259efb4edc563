import { rememberSecret, type Environment, type RuntimeSettings, type TableContract } from '@app/config';
import { createS3Client, S3ObjectStore } from '@app/staging';
import {
  pgTlsConnection,
  PostgresCopySource,
  RedshiftUnloadSource,
  redshiftSettings,
  type SnapshotFrom,
  type SnapshotSource,
} from '@app/warehouse';
import { UsageError } from '../cli-args';

/** Where a snapshot reads from, as the command line and the environment say. */
export interface SourceChoice {
  kind: 'postgres' | 'redshift';
  from: SnapshotFrom;
  /** PostgreSQL: the URL (--source-url, else SNAPSHOT_SOURCE_URL), and which of them gave it. */
  url?: { value: string; from: string };
  /** PostgreSQL: rows one COPY reads. */
  rowsPerQuery: number;
  /** Redshift: the key prefix its UNLOAD folders go under (SNAPSHOT_S3_PREFIX). */
  s3Prefix: string;
  /** Redshift: MAXFILESIZE of UNLOAD, in MB. */
  maxFileSizeMb: number;
}

/**
 * The source of each run: PostgreSQL or Aurora through COPY, or Redshift through UNLOAD into
 * `<SNAPSHOT_S3_PREFIX>/<table>/<run>/` of the staging bucket, read back with the staging S3 client.
 */
export function snapshotSources(
  choice: SourceChoice,
  contract: TableContract,
  runtime: RuntimeSettings,
  env: Environment,
): (run: string) => SnapshotSource {
  if (choice.kind === 'postgres') {
    const { url } = choice;
    if (!url)
      throw new UsageError(
        'a PostgreSQL snapshot needs its source: set SNAPSHOT_SOURCE_URL (or --source-url)',
      );
    rememberSecret(url.value);
    const { pool } = pgTlsConnection({
      server: 'the snapshot source',
      url: url.value,
      urlFrom: url.from,
      defaultMode: { value: 'disable', from: 'the default' },
      rootCertVariable: `sslrootcert in ${url.from}`,
    });
    const server = serverOf(url.value, 5432);
    return () =>
      new PostgresCopySource({
        contract,
        from: choice.from,
        connection: pool,
        server,
        rowsPerQuery: choice.rowsPerQuery,
      });
  }
  const settings = redshiftSettings(env);
  const { pool } = settings;
  const server = pool.connectionString
    ? serverOf(pool.connectionString, 5439)
    : `${pool.host}:${pool.port}/${pool.database}`;
  const store = new S3ObjectStore(createS3Client(runtime.s3), runtime.s3.bucket);
  return (run) =>
    new RedshiftUnloadSource({
      contract,
      from: choice.from,
      pool,
      server,
      store,
      // `<table>@<stamp>-<random>`: the folder is the part after the table, under the table's.
      folder: `${choice.s3Prefix}/${contract.name}/${run.slice(contract.name.length + 1)}/`,
      credentials: settings.copy.credentials,
      ...(settings.copy.region && { region: settings.copy.region }),
      maxFileSizeMb: choice.maxFileSizeMb,
    });
}

/** `host:port/database` of a connection URL: what the progress record names, never the password. */
function serverOf(url: string, defaultPort: number): string {
  const { hostname, port, pathname } = new URL(url);
  return `${hostname}:${port || defaultPort}${pathname}`;
}

import { readVariables, type Environment } from './environment.schema';

/** How COPY reads the staged files from S3. */
export type RedshiftCopyCredentialSettings =
  | { kind: 'iam-role'; roleArn: string }
  | { kind: 'access-keys'; accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/**
 * The Redshift settings of the environment, checked; libs/warehouse (redshiftSettings) turns
 * them into the pool and COPY options. The bucket and prefix are the staging ones (S3_BUCKET,
 * S3_PREFIX), since Redshift loads what the sink staged.
 */
export interface RedshiftEnvironment {
  connection:
    { url: string } | { host: string; port: number; database: string; user: string; password?: string };
  ssl: boolean;
  copyCredentials: RedshiftCopyCredentialSettings;
  /** The bucket's region, when it is not the cluster's. */
  copyRegion?: string;
  manifest: boolean;
  lockTables: boolean;
  mergeStrategy: 'delete-insert' | 'merge';
  loadTimeoutMs: number;
}

const NAMES = [
  'REDSHIFT_URL',
  'REDSHIFT_HOST',
  'REDSHIFT_PORT',
  'REDSHIFT_DATABASE',
  'REDSHIFT_USER',
  'REDSHIFT_PASSWORD',
  'REDSHIFT_SSL',
  'REDSHIFT_IAM_ROLE',
  'REDSHIFT_COPY_ACCESS_KEY_ID',
  'REDSHIFT_COPY_SECRET_ACCESS_KEY',
  'REDSHIFT_COPY_SESSION_TOKEN',
  'REDSHIFT_COPY_REGION',
  'REDSHIFT_MERGE',
  'REDSHIFT_LOAD_TIMEOUT_MS',
  'REDSHIFT_MANIFEST',
  'REDSHIFT_LOCK_TABLES',
] as const;

/**
 * REDSHIFT_URL (postgres://user:password@host:5439/db), or REDSHIFT_HOST, REDSHIFT_PORT (5439),
 * REDSHIFT_DATABASE, REDSHIFT_USER, REDSHIFT_PASSWORD; REDSHIFT_SSL (true). COPY credentials:
 * REDSHIFT_IAM_ROLE, or REDSHIFT_COPY_ACCESS_KEY_ID + REDSHIFT_COPY_SECRET_ACCESS_KEY
 * (+ REDSHIFT_COPY_SESSION_TOKEN). REDSHIFT_COPY_REGION: the bucket's region when it is not
 * the cluster's. REDSHIFT_MANIFEST, REDSHIFT_LOCK_TABLES (false), REDSHIFT_MERGE
 * (delete-insert | merge), REDSHIFT_LOAD_TIMEOUT_MS (300000). Collects every problem first.
 */
export function redshiftEnvironment(env: Environment = process.env): RedshiftEnvironment {
  let connection: RedshiftEnvironment['connection'] | undefined;
  let copyCredentials: RedshiftCopyCredentialSettings | undefined;
  const read = readVariables(env, NAMES, (r) => {
    const problems: string[] = [];
    if (r.REDSHIFT_URL) {
      connection = { url: r.REDSHIFT_URL };
    } else {
      const required = {
        REDSHIFT_HOST: r.REDSHIFT_HOST,
        REDSHIFT_DATABASE: r.REDSHIFT_DATABASE,
        REDSHIFT_USER: r.REDSHIFT_USER,
      };
      for (const [name, value] of Object.entries(required))
        if (!value) problems.push(`${name} is required (or set REDSHIFT_URL)`);
      // The port matters only here, so it is checked only here.
      const port = Number(r.REDSHIFT_PORT ?? 5439);
      if (!Number.isInteger(port) || port <= 0)
        problems.push(`REDSHIFT_PORT must be a port number, not ${r.REDSHIFT_PORT}`);
      connection = {
        host: r.REDSHIFT_HOST!,
        port,
        database: r.REDSHIFT_DATABASE!,
        user: r.REDSHIFT_USER!,
        password: r.REDSHIFT_PASSWORD,
      };
    }
    const keyId = r.REDSHIFT_COPY_ACCESS_KEY_ID;
    const secret = r.REDSHIFT_COPY_SECRET_ACCESS_KEY;
    if (r.REDSHIFT_IAM_ROLE && (keyId || secret)) {
      problems.push(
        'set either REDSHIFT_IAM_ROLE or REDSHIFT_COPY_ACCESS_KEY_ID/SECRET_ACCESS_KEY, not both',
      );
    } else if (r.REDSHIFT_IAM_ROLE) {
      copyCredentials = { kind: 'iam-role', roleArn: r.REDSHIFT_IAM_ROLE };
    } else if (keyId && secret) {
      copyCredentials = {
        kind: 'access-keys',
        accessKeyId: keyId,
        secretAccessKey: secret,
        ...(r.REDSHIFT_COPY_SESSION_TOKEN ? { sessionToken: r.REDSHIFT_COPY_SESSION_TOKEN } : {}),
      };
    } else {
      problems.push(
        'COPY needs S3 credentials: set REDSHIFT_IAM_ROLE (an IAM role associated with the cluster, recommended) or REDSHIFT_COPY_ACCESS_KEY_ID and REDSHIFT_COPY_SECRET_ACCESS_KEY',
      );
    }
    return problems;
  });
  return {
    // Both are set whenever the relations found no problem, and readVariables threw otherwise.
    connection: connection!,
    ssl: read.REDSHIFT_SSL,
    copyCredentials: copyCredentials!,
    ...(read.REDSHIFT_COPY_REGION ? { copyRegion: read.REDSHIFT_COPY_REGION } : {}),
    manifest: read.REDSHIFT_MANIFEST,
    lockTables: read.REDSHIFT_LOCK_TABLES,
    mergeStrategy: read.REDSHIFT_MERGE,
    loadTimeoutMs: read.REDSHIFT_LOAD_TIMEOUT_MS,
  };
}

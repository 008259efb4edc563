import { ConfigError } from '@app/config';
import { describe, expect, it } from 'vitest';
import { describeRedshiftSettings, redshiftSettings } from './redshift-settings';

const base = {
  REDSHIFT_HOST: 'cluster.abc.eu-west-1.redshift.amazonaws.com',
  REDSHIFT_DATABASE: 'dev',
  REDSHIFT_USER: 'tablelane',
  REDSHIFT_PASSWORD: 'hunter2',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    redshiftSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the settings to be rejected');
}

describe('redshiftSettings', () => {
  it('reads the endpoint, an IAM role and defaults', () => {
    const settings = redshiftSettings({
      ...base,
      REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/tablelane-copy',
      REDSHIFT_COPY_REGION: 'eu-west-1',
    });
    expect(settings).toMatchObject({
      // REDSHIFT_SSL=true (the default) is verify-full against Node's default CAs, as pg's ssl: true was.
      pool: {
        host: base.REDSHIFT_HOST,
        port: 5439,
        database: 'dev',
        user: 'tablelane',
        ssl: { rejectUnauthorized: true },
      },
      tls: { mode: 'verify-full', modeFrom: 'REDSHIFT_SSL', verifyChain: true, verifyHost: true },
      copy: {
        credentials: { kind: 'iam-role', roleArn: 'arn:aws:iam::123456789012:role/tablelane-copy' },
        gzip: true,
        manifest: false,
        region: 'eu-west-1',
      },
      lockTables: false,
      mergeStrategy: 'delete-insert',
      loadTimeoutMs: 300_000,
    });
  });

  it('reads access keys and masks them, and the password, when described', () => {
    const settings = redshiftSettings({
      ...base,
      REDSHIFT_COPY_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      REDSHIFT_COPY_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      REDSHIFT_COPY_SESSION_TOKEN: 'token',
    });
    expect(settings.copy.credentials).toMatchObject({ kind: 'access-keys', sessionToken: 'token' });
    const shown = JSON.stringify(describeRedshiftSettings(settings));
    expect(shown).not.toMatch(/hunter2|AKIA|wJalr|token"/);
  });

  it('masks the password of a connection URL', () => {
    const settings = redshiftSettings({
      REDSHIFT_URL: 'postgres://tablelane:hunter2@host:5439/dev',
      REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/r',
    });
    expect(JSON.stringify(describeRedshiftSettings(settings))).not.toContain('hunter2');
  });

  it('collects every problem, each with its fix', () => {
    expect(problemsOf({ REDSHIFT_MERGE: 'upsert', REDSHIFT_LOCK_TABLES: 'yes' })).toEqual([
      'REDSHIFT_HOST is required (or set REDSHIFT_URL)',
      'REDSHIFT_DATABASE is required (or set REDSHIFT_URL)',
      'REDSHIFT_USER is required (or set REDSHIFT_URL)',
      'COPY needs S3 credentials: set REDSHIFT_IAM_ROLE (an IAM role associated with the cluster, recommended) or REDSHIFT_COPY_ACCESS_KEY_ID and REDSHIFT_COPY_SECRET_ACCESS_KEY',
      'REDSHIFT_MERGE must be delete-insert or merge, not upsert',
      'REDSHIFT_LOCK_TABLES must be true or false, not yes',
    ]);
  });

  it('checks the port and the flags only where they are used, and says what each must be', () => {
    const role = { REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/r' };
    expect(
      redshiftSettings({ REDSHIFT_URL: 'postgres://h:5439/dev', REDSHIFT_PORT: 'x', ...role }).pool,
    ).toEqual({
      connectionString: 'postgres://h:5439/dev',
      ssl: { rejectUnauthorized: true },
      application_name: 'tablelane-sink',
    });
    expect(
      problemsOf({ ...base, ...role, REDSHIFT_PORT: 'x', REDSHIFT_SSL: '', REDSHIFT_LOAD_TIMEOUT_MS: '-1' }),
    ).toEqual([
      'REDSHIFT_PORT must be a port number, not x',
      'REDSHIFT_SSL must be true or false, not ',
      'REDSHIFT_LOAD_TIMEOUT_MS must be a whole number of ms (0 for none), not -1',
    ]);
  });

  describe('TLS, through the same sslmode semantics as PostgreSQL', () => {
    const role = { REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/r' };
    const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const read = (path: string) => {
      if (path === '/tls/amazon-trust-ca-bundle.crt') return CA;
      throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    };

    it('REDSHIFT_SSLROOTCERT is the CA bundle; REDSHIFT_SSL=false turns TLS off', () => {
      const settings = redshiftSettings(
        { ...base, ...role, REDSHIFT_SSLROOTCERT: '/tls/amazon-trust-ca-bundle.crt' },
        read,
      );
      expect(settings.pool.ssl).toEqual({ rejectUnauthorized: true, ca: CA });
      expect(redshiftSettings({ ...base, ...role, REDSHIFT_SSL: 'false' }).pool.ssl).toBe(false);
    });

    it("REDSHIFT_URL's sslmode wins and leaves the URL pg gets", () => {
      const settings = redshiftSettings({
        ...role,
        REDSHIFT_URL: 'postgres://u:hunter2@h:5439/dev?sslmode=require',
      });
      expect(settings.pool).toMatchObject({
        connectionString: 'postgres://u:hunter2@h:5439/dev',
        ssl: { rejectUnauthorized: false },
      });
      expect(settings.tls).toMatchObject({ mode: 'require', modeFrom: 'REDSHIFT_URL', verifyChain: false });
      expect(() =>
        redshiftSettings({ ...role, REDSHIFT_URL: 'postgres://h:5439/dev?sslmode=prefer' }),
      ).toThrow(/sslmode=prefer \(REDSHIFT_URL\) is refused/);
    });

    it('names REDSHIFT_SSLROOTCERT when its file cannot be read, and never logs the CA itself', () => {
      expect(problemsOf({ ...base, ...role, REDSHIFT_SSLROOTCERT: '/tls/missing.crt' })).toEqual([
        "sslrootcert=/tls/missing.crt (REDSHIFT_SSLROOTCERT) cannot be read: ENOENT: no such file or directory, open '/tls/missing.crt'",
      ]);
      const shown = describeRedshiftSettings(
        redshiftSettings({ ...base, ...role, REDSHIFT_SSLROOTCERT: '/tls/amazon-trust-ca-bundle.crt' }, read),
      );
      expect(JSON.stringify(shown)).not.toContain('BEGIN CERTIFICATE');
      expect(shown.tls).toEqual({
        sslmode: 'verify-full',
        from: 'REDSHIFT_SSL',
        verifies: 'chain and host name',
        sslrootcert: '/tls/amazon-trust-ca-bundle.crt',
      });
    });
  });
});

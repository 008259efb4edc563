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
      pool: { host: base.REDSHIFT_HOST, port: 5439, database: 'dev', user: 'tablelane', ssl: true },
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
});

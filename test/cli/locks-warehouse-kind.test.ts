import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../support/env';
import { testConnection } from '../support/postgres';
import { writeConfig } from '../support/sink-process';

const run = promisify(execFile);
const CLI = resolve(__dirname, '../../dist/apps/cli/src/main.js');

/**
 * `tablelane locks` asks the configured warehouse's own catalog. Pointed at PostgreSQL while
 * configured for Redshift, it must query Redshift's system views (SVV_TRANSACTIONS), which
 * PostgreSQL lacks, and fail saying so, instead of reading pg_locks and reporting PostgreSQL's
 * sessions as if they were Redshift's.
 */
describe('tablelane locks and the configured warehouse kind', () => {
  const { host, port, user, database } = testConnection();
  const tables = [{ name: `${uniqueName('lk')}.items`, columns: { id: 'bigint' }, primaryKey: ['id'] }];
  const cli = (kind: string, env: Record<string, string> = {}) =>
    run(process.execPath, [CLI, 'locks', '--json'], {
      env: {
        ...process.env,
        ...stackEnv,
        ...env,
        TABLELANE_CONFIG: writeConfig({ warehouse: { kind }, tables }),
      },
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('reads pg_locks on PostgreSQL', async () => {
    const result = await cli('postgres');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  it("queries Redshift's system views on Redshift, never pg_locks", async () => {
    const result = await cli('redshift', {
      REDSHIFT_URL: `postgres://${user}@${host}:${port}/${database}`,
      REDSHIFT_SSL: 'false',
      REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/tablelane-load',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /relation "svv_transactions" does not exist \[42P01; retrying will not help\]/,
    );
  });
});

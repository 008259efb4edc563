import { describe, expect, it } from 'vitest';
import { stackEnv } from '../support/env';
import { snapshotSuite } from './support/snapshot-harness';

describe('tablelane snapshot --source redshift', () => {
  it('runs its UNLOAD through the REDSHIFT_* connection into the run folder of the staging bucket', async () => {
    const suite = await snapshotSuite('snap-rs', {
      name: 'app.venues',
      columns: { id: 'bigint', name: 'text' },
      primaryKey: ['id'],
    });
    // No Redshift here: PostgreSQL stands in for the connection and refuses the UNLOAD it is
    // sent, which is as far as this path can be followed (the statement is golden-tested, the
    // reading of its files is redshift-unload-files.test.ts).
    const result = await suite.pipeline.cli(
      suite.config,
      ['snapshot', '--table', 'app.venues', '--source', 'redshift', '--source-table', 'public.venues'],
      {
        REDSHIFT_URL: `postgres://${stackEnv.PGUSER}@${stackEnv.PGHOST}:${stackEnv.PGPORT}/${stackEnv.PGDATABASE}?sslmode=disable`,
        REDSHIFT_IAM_ROLE: 'arn:aws:iam::123456789012:role/tablelane-unload',
        SNAPSHOT_S3_PREFIX: 'snapshots-test',
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('syntax error at or near "UNLOAD"');
    const progress = (await suite.progress())!;
    expect(progress).toMatchObject({ state: 'running', rows: 0, owner: null });
    expect(progress.source).toEqual({
      kind: 'redshift',
      server: `${stackEnv.PGHOST}:${stackEnv.PGPORT}/${stackEnv.PGDATABASE}`,
      table: 'public.venues',
      unload: `s3://${stackEnv.S3_BUCKET}/snapshots-test/app.venues/${progress.run.slice('app.venues@'.length)}/`,
    });
    expect((await suite.readLane()).map((e) => e.op)).toEqual(['snapshot-begin']);
  });
});

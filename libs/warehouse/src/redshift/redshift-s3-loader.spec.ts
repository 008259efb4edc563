import { parseConfig } from '@app/config';
import type { ClientBase } from 'pg';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StagedBatch } from '../destination.port';
import { isLockTimeout, isTransient } from '../errors';
import { RedshiftDialect } from './redshift-dialect';
import { StagedUriUnusable } from '../errors';
import { RedshiftCopyFailed } from './redshift-errors';
import { RedshiftS3CopyLoader } from './redshift-s3-loader';

const [items] = parseConfig({
  tables: [{ name: 'app.items', columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] }],
}).tables;
const keys = {
  kind: 'access-keys' as const,
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const batch = (stagedUri?: string): StagedBatch => ({
  contract: items!,
  topic: 'changes',
  partition: 0,
  claim: { lastOffset: -1, epoch: 1 },
  nextOffset: 9,
  rowCount: 3,
  openStagedData: async () => Readable.from([]),
  stagedUri,
});

/** Records the statements it is sent; fails COPY with `copyError` when given. */
function fakeClient(copyError?: Error & { code?: string }) {
  const sent: string[] = [];
  const client = {
    query: async (text: string) => {
      sent.push(text);
      if (text.startsWith('COPY') && copyError) throw copyError;
      return { rows: [{ loaded: '3' }] };
    },
  } as unknown as ClientBase;
  return { client, sent };
}

const loader = (manifest = false) =>
  new RedshiftS3CopyLoader(new RedshiftDialect(), { credentials: keys, gzip: true, manifest });

describe('RedshiftS3CopyLoader', () => {
  it('runs COPY with the credentials, then reads pg_last_copy_count()', async () => {
    const { client, sent } = fakeClient();
    expect(await loader().load(client, batch('s3://tablelane/staging/app.items/changes/0/1-9.csv.gz'))).toBe(
      3,
    );
    expect(sent[0]).toContain(`SECRET_ACCESS_KEY '${keys.secretAccessKey}'`);
    expect(sent[1]).toBe('SELECT pg_last_copy_count() AS loaded');
  });

  it('fails with the redacted statement only, keeping the cause code and retriability', async () => {
    const timeout = Object.assign(new Error("Query (150) cancelled on user's request"), { code: '57014' });
    const error = await loader()
      .load(fakeClient(timeout).client, batch('s3://tablelane/staging/k.csv.gz'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedshiftCopyFailed);
    const failed = error as RedshiftCopyFailed;
    expect(failed.message).toContain("SECRET_ACCESS_KEY '<redacted>'");
    expect(failed.message).not.toContain(keys.secretAccessKey);
    expect(failed.message).not.toContain(keys.accessKeyId);
    expect(failed.code).toBe('57014');
    expect(isTransient(failed)).toBe(true);
    expect(isLockTimeout(failed)).toBe(true);

    const denied = Object.assign(new Error('S3ServiceException:Access Denied'), { code: 'XX000' });
    const permanent = await loader()
      .load(fakeClient(denied).client, batch('s3://tablelane/staging/k.csv.gz'))
      .catch((e: unknown) => e);
    expect(isTransient(permanent)).toBe(false);
  });

  it('refuses a batch without an S3 URI, or a URI that does not match the manifest setting', async () => {
    const { client, sent } = fakeClient();
    await expect(loader().load(client, batch())).rejects.toBeInstanceOf(StagedUriUnusable);
    await expect(loader(true).load(client, batch('s3://tablelane/k.csv.gz'))).rejects.toThrow(
      /not a manifest/,
    );
    await expect(loader(false).load(client, batch('s3://tablelane/k.manifest'))).rejects.toThrow(
      /is a manifest/,
    );
    expect(sent).toEqual([]);
  });
});

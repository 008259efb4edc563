import { describe, expect, it } from 'vitest';
import { parseUnloadManifest } from './redshift-unload-files';

describe('parseUnloadManifest', () => {
  it('reads a verbose manifest: the files in order, and the data rows without the header lines', () => {
    const manifest = {
      entries: [
        { url: 's3://b/snap/0000_part_00.gz', meta: { content_length: 32295, record_count: 11 } },
        { url: 's3://b/snap/0001_part_00.gz', meta: { content_length: 32771, record_count: 21 } },
      ],
      schema: { elements: [{ name: 'id', type: { base: 'integer' } }] },
      meta: { content_length: 65066, record_count: 32 },
      author: { name: 'Amazon Redshift', version: '1.0.0' },
    };
    expect(parseUnloadManifest(JSON.stringify(manifest), 's3://b/snap/manifest')).toEqual({
      files: [
        { url: 's3://b/snap/0000_part_00.gz', records: 11 },
        { url: 's3://b/snap/0001_part_00.gz', records: 21 },
      ],
      rows: 30,
    });
  });

  it('reads a plain manifest (urls only) and refuses what is not one', () => {
    expect(parseUnloadManifest('{"entries":[{"url":"s3://b/x"}]}', 'm')).toEqual({
      files: [{ url: 's3://b/x' }],
    });
    expect(() => parseUnloadManifest('{"entries":[{}]}', 's3://b/m')).toThrow(
      /s3:\/\/b\/m is not an UNLOAD manifest/,
    );
  });
});

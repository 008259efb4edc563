import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { encodeCsv } from '../csv-codec';
import type { StagedRow } from '../staged-row';
import { buildManifest, encodeRedshiftStagedFile, redshiftStagedObjects } from './redshift-staging';

const rows: StagedRow[] = [
  { op: 'u', values: ['1', 'a,b'] },
  { op: 'd', values: ['2', null] },
];
const uriOf = (key: string) => `s3://tablelane/${key}`;

describe('Redshift staging files', () => {
  it('gzips our CSV, deterministically (a retry writes the same bytes)', () => {
    const file = encodeRedshiftStagedFile(rows);
    expect(file.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(file)).toEqual(encodeCsv(rows));
    expect(encodeRedshiftStagedFile(rows)).toEqual(file);
  });

  it('builds a manifest whose entries are mandatory', () => {
    expect(
      buildManifest([{ url: 's3://b/k.csv.gz', contentLength: 120 }, { url: 's3://b/l.csv.gz' }]),
    ).toMatchInlineSnapshot(
      `"{"entries":[{"url":"s3://b/k.csv.gz","mandatory":true,"meta":{"content_length":120}},{"url":"s3://b/l.csv.gz","mandatory":true}]}"`,
    );
  });

  it('stages the data file alone, or the data file then a manifest that is not under its prefix', () => {
    const key = 'staging/app.items/changes/3/00000000000000000001-00000000000000000009.csv';
    const plain = redshiftStagedObjects(key, rows, uriOf, { manifest: false });
    expect(plain.objects.map((o) => o.key)).toEqual([`${key}.gz`]);
    expect(plain.loadUri).toBe(`s3://tablelane/${key}.gz`);

    const listed = redshiftStagedObjects(key, rows, uriOf, { manifest: true });
    const [data, manifest] = listed.objects;
    expect(listed.objects.map((o) => o.key)).toEqual([
      `${key}.gz`,
      'staging/app.items/changes/3/00000000000000000001-00000000000000000009.manifest',
    ]);
    expect(manifest!.key.startsWith(data!.key)).toBe(false);
    expect(listed.loadUri).toBe(uriOf(manifest!.key));
    expect(JSON.parse(manifest!.body.toString())).toEqual({
      entries: [{ url: uriOf(data!.key), mandatory: true, meta: { content_length: data!.body.length } }],
    });
  });
});

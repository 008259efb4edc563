import { gzipSync } from 'node:zlib';
import { encodeCsv } from '../csv-codec';
import type { StagedRow } from '../staged-row';
import type { StagedObject, StagingFormat } from '../staging-format';

/** The staged file as Redshift loads it: our CSV (csv-codec.ts), gzip-compressed (COPY ... GZIP). */
export function encodeRedshiftStagedFile(rows: StagedRow[]): Buffer {
  return gzipSync(encodeCsv(rows));
}

export interface ManifestEntry {
  url: string;
  /** Size of the object in bytes; Redshift requires it only for columnar formats. */
  contentLength?: number;
}

/**
 * A COPY manifest naming the data files exactly. Every entry is mandatory: a missing file
 * fails the COPY instead of loading fewer rows. Without a manifest, COPY reads its FROM path as
 * a key prefix, which would also load any other object whose key starts with it.
 */
export function buildManifest(entries: ManifestEntry[]): string {
  return JSON.stringify({
    entries: entries.map((entry) => ({
      url: entry.url,
      mandatory: true,
      ...(entry.contentLength !== undefined ? { meta: { content_length: entry.contentLength } } : {}),
    })),
  });
}

/**
 * What to put in S3 for one batch, in this order, and the URI COPY loads. `csvKey` is the
 * deterministic staging key (stagingKey); the data file becomes `<base>.csv.gz` and its
 * manifest `<base>.manifest`, a key that the data key is no prefix of. The manifest is written
 * last, so it never names a file that is not there yet.
 */
export function redshiftStagedObjects(
  csvKey: string,
  rows: StagedRow[],
  uriOf: (key: string) => string,
  options: { manifest: boolean },
): { objects: StagedObject[]; loadUri: string } {
  const base = csvKey.replace(/\.csv$/, '');
  const data = { key: `${base}.csv.gz`, body: encodeRedshiftStagedFile(rows) };
  if (!options.manifest) return { objects: [data], loadUri: uriOf(data.key) };
  const manifest = {
    key: `${base}.manifest`,
    body: Buffer.from(buildManifest([{ url: uriOf(data.key), contentLength: data.body.length }])),
  };
  return { objects: [data, manifest], loadUri: uriOf(manifest.key) };
}

/** Redshift's staging format: gzip CSV, named by a manifest when COPY is configured with one. */
export function redshiftStagingFormat(options: { manifest: boolean }): StagingFormat {
  return {
    layout(csvKey, rows, uriOf) {
      const { objects, loadUri } = redshiftStagedObjects(csvKey, rows, uriOf, options);
      return { objects, dataKey: objects[0]!.key, loadUri };
    },
  };
}

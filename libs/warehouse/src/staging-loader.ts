import type { ClientBase } from 'pg';
import type { StagedBatch } from './destination.port';
import { StagedUriUnusable } from './errors';

/**
 * The one step of a merge transaction that moves the staged file into the staging table:
 * COPY FROM S3 on Redshift, aws_s3.table_import_from_s3 on Aurora, COPY FROM STDIN elsewhere.
 * Everything around it (staging DDL, the count check, the merge, the checkpoint) stays with
 * the destination, so swapping the loader changes nothing else.
 */
export interface StagingLoader {
  /** Loads the batch into the transaction's staging table; returns the rows the warehouse loaded. */
  load(client: ClientBase, batch: StagedBatch): Promise<number>;
}

/** `s3://bucket/key` split into its parts; StagedUriUnusable (naming `table`) for anything else. */
export function parseS3Uri(uri: string, table: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new StagedUriUnusable(table, `not an s3:// URI: ${JSON.stringify(uri)}`);
  return { bucket: match[1]!, key: match[2]! };
}

import type { TableContract } from '@app/config';
import type { ObjectStore } from '@app/staging';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseS3Uri } from '../staging-loader';
import { NULL_FLAGS_COLUMN } from './redshift-unload';
import type { SnapshotPosition, SnapshotSourceRow } from './snapshot-source.port';
import { sourceValue, SnapshotSourceUnreadable } from './source-value';
import { csvRecords } from './unload-csv';

/** The data files of an UNLOAD, in the order its manifest lists them. */
export interface UnloadManifest {
  files: { url: string; records?: number }[];
  /** Data rows over all files (the header lines taken off), when the manifest is verbose. */
  rows?: number;
}

/**
 * Reads the manifest UNLOAD … MANIFEST [VERBOSE] writes: `{"entries": [{"url": "s3://…", "meta":
 * {"record_count": n}}], "meta": {"record_count": total}}`. With HEADER the counts include each
 * file's header line.
 */
export function parseUnloadManifest(json: string, uri: string): UnloadManifest {
  const manifest = JSON.parse(json) as {
    entries?: { url?: unknown; meta?: { record_count?: unknown } }[];
    meta?: { record_count?: unknown };
  };
  if (!Array.isArray(manifest?.entries) || manifest.entries.some((e) => typeof e?.url !== 'string'))
    throw new SnapshotSourceUnreadable(`${uri} is not an UNLOAD manifest (no entries with a url)`);
  const files = manifest.entries.map((e) => {
    const records = e.meta?.record_count;
    return { url: e.url as string, ...(typeof records === 'number' ? { records } : {}) };
  });
  const total = manifest.meta?.record_count;
  return { files, ...(typeof total === 'number' ? { rows: total - files.length } : {}) };
}

/**
 * The rows of an UNLOAD's files, each file streamed from S3 in turn (gunzipped when its name
 * ends in .gz), after `resume` when given. Each file starts with its header, which must name the
 * contract's columns and the NULL flags; a file holding fewer records than its manifest entry
 * says was cut short, and the read fails rather than miss rows.
 */
export async function* unloadRows(
  store: ObjectStore,
  manifest: UnloadManifest,
  contract: TableContract,
  resume?: SnapshotPosition,
): AsyncGenerator<SnapshotSourceRow> {
  const { columns } = contract;
  const header = [...columns.map((c) => c.name), NULL_FLAGS_COLUMN];
  for (let file = resume?.file ?? 0; file < manifest.files.length; file++) {
    const { url, records } = manifest.files[file]!;
    const skip = file === resume?.file ? resume.row : 0;
    let row = -1;
    for await (const record of csvRecords(await openFile(store, url))) {
      if (row++ < 0) {
        if (record.join(',') !== header.join(','))
          throw new SnapshotSourceUnreadable(
            `${url} has the columns ${record.join(', ')}; expected ${header.join(', ')}`,
          );
        continue;
      }
      if (row <= skip) continue;
      yield { row: rowOf(contract, record, url), position: { file, row } };
    }
    if (records !== undefined && row + 1 !== records)
      throw new SnapshotSourceUnreadable(`${url} holds ${row + 1} records, its manifest entry ${records}`);
  }
}

async function openFile(store: ObjectStore, url: string): Promise<Readable> {
  const { bucket, key } = parseS3Uri(url, 'a snapshot');
  if (store.uri(key) !== `s3://${bucket}/${key}`)
    throw new SnapshotSourceUnreadable(`${url} is not in the staging bucket (${store.uri('')})`);
  const body = await store.get(key);
  // pipeline: a failed download fails the read instead of ending the file early.
  return url.endsWith('.gz') ? pipeline(body, createGunzip(), () => undefined) : body;
}

function rowOf(contract: TableContract, record: string[], url: string): Record<string, unknown> {
  const { columns } = contract;
  const flags = record[columns.length];
  if (record.length !== columns.length + 1 || flags?.length !== columns.length)
    throw new SnapshotSourceUnreadable(
      `${url} has a record of ${record.length} fields; expected ${columns.length + 1}`,
    );
  const row: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    row[column.name] = flags[i] === '1' ? null : sourceValue(column.type, record[i]!, column.name);
  });
  return row;
}

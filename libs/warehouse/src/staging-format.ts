import { encodeCsv } from './csv-codec';
import type { StagedRow } from './staged-row';

export interface StagedObject {
  key: string;
  body: Buffer;
}

/** What to write to the staging store for one batch, and how the warehouse finds it. */
export interface StagedLayout {
  /** Put in this order: an object that names another (a manifest) comes after it. */
  objects: StagedObject[];
  /** The data file itself, for loaders that stream it through the connection. */
  dataKey: string;
  /** What the warehouse's own load names (`s3://...`): the data file or a manifest listing it. */
  loadUri: string;
}

/**
 * How a warehouse wants its batches staged. Each warehouse owns its format, so the sink writes
 * whatever the configured destination will load without knowing its encoding.
 */
export interface StagingFormat {
  /** `csvKey` is the batch's deterministic staging key (`...csv`); `uriOf` names a key as a URI. */
  layout(csvKey: string, rows: StagedRow[], uriOf: (key: string) => string): StagedLayout;
}

/** Plain CSV (csv-codec.ts) under the staging key itself. */
export const PLAIN_CSV_STAGING: StagingFormat = {
  layout: (csvKey, rows, uriOf) => ({
    objects: [{ key: csvKey, body: encodeCsv(rows) }],
    dataKey: csvKey,
    loadUri: uriOf(csvKey),
  }),
};

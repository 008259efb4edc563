import type { TableContract } from '@app/config';
import { stagingKey, type ObjectStore } from '@app/staging';
import {
  encodeCsv,
  PLAIN_CSV_STAGING,
  stagingShape,
  type SnapshotShape,
  type StagedRow,
  type StagingFormat,
  type StagingShape,
} from '@app/warehouse';
import { Readable } from 'node:stream';
import { hitFaultPoint } from './fault-points';

export interface StagedFile {
  openStagedData(): Promise<Readable>;
  stagedUri?: string;
  /** The columns the file carries beyond the ordinary ones, for the staging table and the merge. */
  shape: StagingShape;
}

/**
 * Writes a reduced batch where the warehouse will load it from: S3 objects under a
 * deterministic key (table, lane, offset range) in the configured warehouse's staging format,
 * or, when staging is `direct`, memory.
 */
export class BatchStager {
  constructor(
    private readonly store: ObjectStore | undefined,
    private readonly prefix: string,
    private readonly format: StagingFormat = PLAIN_CSV_STAGING,
  ) {}

  async stage(
    contract: TableContract,
    topic: string,
    partition: number,
    firstOffset: number,
    lastOffset: number,
    rows: StagedRow[],
    /** The batch's part in a snapshot run, for its merge (it stages nothing more). */
    snapshot?: SnapshotShape,
  ): Promise<StagedFile> {
    const shape = stagingShape(rows, snapshot);
    // Nothing to stage (a batch of snapshot markers only): no object, and nothing to load.
    if (!this.store || rows.length === 0) {
      const body = encodeCsv(rows);
      return { openStagedData: async () => Readable.from([body]), shape };
    }
    const store = this.store;
    const key = stagingKey(
      this.prefix,
      contract.name,
      topic,
      partition,
      String(firstOffset),
      String(lastOffset),
    );
    const { objects, dataKey, loadUri } = this.format.layout(key, rows, (k) => store.uri(k));
    // In the format's order: a manifest, if any, comes last and so never names a missing file.
    for (const object of objects) await store.put(object.key, object.body);
    hitFaultPoint('after-stage');
    // The warehouse loads what is in S3, not our copy in memory: what was staged is what lands.
    return { openStagedData: () => store.get(dataKey), stagedUri: loadUri, shape };
  }
}

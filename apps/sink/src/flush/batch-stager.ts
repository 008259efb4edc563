import type { TableContract } from '@app/config';
import { stagingKey, type ObjectStore } from '@app/staging';
import { encodeCsv, redshiftStagedObjects, type StagedRow } from '@app/warehouse';
import { Readable } from 'node:stream';
import { hitFaultPoint } from './fault-points';

export interface StagedFile {
  openStagedData(): Promise<Readable>;
  stagedUri?: string;
}

/** How a batch is written: plain CSV, or gzip CSV with an optional manifest for Redshift's COPY. */
export type StagingFormat = { kind: 'csv' } | { kind: 'redshift'; manifest: boolean };

/**
 * Writes a reduced batch where the warehouse will load it from: S3 objects under a
 * deterministic key (table, lane, offset range), or, when staging is `direct`, memory.
 */
export class BatchStager {
  constructor(
    private readonly store: ObjectStore | undefined,
    private readonly prefix: string,
    private readonly format: StagingFormat = { kind: 'csv' },
  ) {}

  async stage(
    contract: TableContract,
    topic: string,
    partition: number,
    firstOffset: number,
    lastOffset: number,
    rows: StagedRow[],
  ): Promise<StagedFile> {
    if (!this.store) {
      const body = encodeCsv(rows);
      return { openStagedData: async () => Readable.from([body]) };
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
    if (this.format.kind === 'redshift') {
      const { objects, loadUri } = redshiftStagedObjects(key, rows, (k) => store.uri(k), this.format);
      // In order: the manifest, if any, comes last and so never names a missing file.
      for (const object of objects) await store.put(object.key, object.body);
      hitFaultPoint('after-stage');
      return { openStagedData: () => store.get(objects[0]!.key), stagedUri: loadUri };
    }
    await store.put(key, encodeCsv(rows));
    hitFaultPoint('after-stage');
    // The warehouse loads what is in S3, not our copy in memory: what was staged is what lands.
    return { openStagedData: () => store.get(key), stagedUri: store.uri(key) };
  }
}

import type { TableContract } from '@app/config';
import { stagingKey, type ObjectStore } from '@app/staging';
import { encodeCsv, type StagedRow } from '@app/warehouse';
import { Readable } from 'node:stream';
import { hitFaultPoint } from './fault-points';

export interface StagedFile {
  openStagedData(): Promise<Readable>;
  stagedUri?: string;
  bytes: number;
}

/**
 * Writes a reduced batch where the warehouse will load it from: an S3 object under a
 * deterministic key (table, lane, offset range), or, when staging is `direct`, memory.
 */
export class BatchStager {
  constructor(
    private readonly store: ObjectStore | undefined,
    private readonly prefix: string,
  ) {}

  async stage(
    contract: TableContract,
    topic: string,
    partition: number,
    firstOffset: number,
    lastOffset: number,
    rows: StagedRow[],
  ): Promise<StagedFile> {
    const body = encodeCsv(rows);
    if (!this.store) return { openStagedData: async () => Readable.from([body]), bytes: body.length };
    const key = stagingKey(
      this.prefix,
      contract.name,
      topic,
      partition,
      String(firstOffset),
      String(lastOffset),
    );
    await this.store.put(key, body);
    hitFaultPoint('after-stage');
    const store = this.store;
    // The warehouse loads what is in S3, not our copy in memory: what was staged is what lands.
    return { openStagedData: () => store.get(key), stagedUri: store.uri(key), bytes: body.length };
  }
}

import { parseConfig, type TableContract } from '@app/config';
import { parseChangeJson } from '@app/contracts';
import { diffWarehouse, type Workload } from '@app/simulation';
import { encodeCsv, PostgresDestination } from '@app/warehouse';
import { Readable } from 'node:stream';
import type { Pool, PoolConfig } from 'pg';
import type { BufferedChange } from '../../apps/sink/src/lane/buffered-change';
import { reduceBatch } from '../../apps/sink/src/lane/reduce-batch';

export interface CeilingResult {
  changes: number;
  seconds: number;
  changesPerSecond: number;
  /** Rows loaded after reducing each batch, as the sink reduces it. */
  mergedRows: number;
  batches: number;
  /** Changes per table batch, by table (without the schema). */
  batchChanges: Record<string, number>;
  differences: string[];
}

interface PreparedBatch {
  body: Buffer;
  rowCount: number;
  lastOffset: number;
}

/**
 * The ceiling: the same changes, cut into batches of the sizes the sinks made, reduced and
 * encoded as the sink does, then loaded with COPY and merged with the checkpoint in one
 * transaction per batch (PostgresDestination.applyBatch), every table at once on its own
 * connection. No Kafka, no router, no S3, no network hop: one process holding every change,
 * validating, reducing and encoding it (on the clock, as the sink must too) and merging it.
 */
export async function runCeiling(
  pool: Pool,
  poolConfig: PoolConfig,
  workload: Workload,
  stateSchema: string,
  batchChanges: (table: string) => number,
): Promise<CeilingResult> {
  const config = parseConfig({ warehouse: { stateSchema }, tables: workload.tables });
  const destination = new PostgresDestination({
    pool: { ...poolConfig, max: config.tables.length + 2 },
    stateSchema,
    createTables: true,
    lockTimeoutMs: 10_000,
  });
  try {
    // Lane order: every producer's changes keep their order, producers interleave.
    const byTable = new Map<string, string[]>(config.tables.map((t) => [t.name, []]));
    const longest = Math.max(...workload.producers.map((events) => events.length));
    for (let i = 0; i < longest; i++) {
      for (const events of workload.producers) {
        const event = events[i];
        if (event) byTable.get(event.table)!.push(event.value);
      }
    }
    for (const contract of config.tables) await destination.prepareTable(contract);
    const claims = await Promise.all(
      config.tables.map((contract, lane) => destination.claimLane(contract, 'ceiling', lane, 'bench')),
    );

    const merged: number[] = [];
    const batches: number[] = [];
    const started = process.hrtime.bigint();
    await Promise.all(
      config.tables.map(async (contract, lane) => {
        let claim = claims[lane]!;
        const changes: BufferedChange[] = byTable.get(contract.name)!.map((value, offset) => ({
          offset,
          change: parseChangeJson(config, value),
          bytes: value.length,
          receivedAt: 0,
          raw: { key: null, value: null },
        }));
        const planned = cut(contract, changes, batchChanges(contract.table));
        batches.push(planned.length);
        for (const batch of planned) {
          await destination.applyBatch({
            contract,
            topic: 'ceiling',
            partition: lane,
            claim,
            nextOffset: batch.lastOffset,
            rowCount: batch.rowCount,
            openStagedData: async () => Readable.from([batch.body]),
          });
          claim = { ...claim, lastOffset: batch.lastOffset };
          merged.push(batch.rowCount);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const changes = [...byTable.values()].reduce((n, list) => n + list.length, 0);
    return {
      changes,
      seconds,
      changesPerSecond: changes / seconds,
      mergedRows: merged.reduce((a, b) => a + b, 0),
      batches: batches.reduce((a, b) => a + b, 0),
      batchChanges: Object.fromEntries(config.tables.map((t) => [t.table, batchChanges(t.table)])),
      differences: await diffWarehouse(pool, workload),
    };
  } finally {
    await destination.close();
  }
}

function cut(contract: TableContract, changes: BufferedChange[], size: number): PreparedBatch[] {
  const batches: PreparedBatch[] = [];
  const step = Math.max(1, Math.round(size));
  for (let i = 0; i < changes.length; i += step) {
    const slice = changes.slice(i, i + step);
    const rows = reduceBatch(contract, slice);
    batches.push({ body: encodeCsv(rows), rowCount: rows.length, lastOffset: slice.at(-1)!.offset });
  }
  return batches;
}

import { errorCode, isDataError, type Destination } from '@app/warehouse';
import type { BufferedChange } from '../lane/buffered-change';
import { reduceBatch } from '../lane/reduce-batch';
import { snapshotStep, type SnapshotStep } from '../lane/snapshot-runs';
import type { TableLane } from '../lane/table-lane';
import type { BatchStager } from './batch-stager';
import { isolateRefused } from './isolate-refused';

/** A change the warehouse refused, with the warehouse's own reason (SQLSTATE and message). */
export interface RefusedChange {
  change: BufferedChange;
  code: string;
  message: string;
}

export interface TableFlushDeps {
  destination: Destination;
  stager: BatchStager;
  /** Sends refused changes to the dead-letter topic; resolves once they are durable there. */
  deadLetter(refused: RefusedChange[]): Promise<void>;
}

export interface FlushedBatch {
  /** Rows the merge applied (after reduction). */
  rows: number;
  refused: RefusedChange[];
  /** What the batch did to the table's snapshot runs; unknown when the commit was only found afterwards. */
  snapshot?: SnapshotStep;
}

// A batch whose every change was loaded on its own yet still fails together is not a data
// error of one change; give up isolating after a few rounds and let the lane report it.
const MAX_ISOLATION_ROUNDS = 3;

/**
 * The path of one table's batch into the warehouse: reduce -> stage -> (one transaction:
 * checkpoint compare-and-set, COPY, count check, merge). The checkpoint moves to `upTo`, the
 * lane's last offset taken when the batch was drained: every change of this table at or below
 * it is in the batch, so afterwards the table never applies them again.
 *
 * A value the warehouse refuses (an error its destination classified as `dataError`, see
 * isDataError: SQLSTATE class 22 or 23, or the warehouse's own equivalents) must never stop
 * the lane: the batch is bisected with rolled-back probe loads until the refused changes are
 * known, those go to the dead-letter topic first (a crash afterwards only refuses them again),
 * then the rest commits.
 *
 * A batch in a snapshot run (snapshotStep, from the table's runs as they stand) merges with
 * the run's statements: its keys marked as seen, the run begun, ended or cancelled. A refused
 * row of the run is not counted as merged, so an end then deletes nothing (`incomplete`).
 */
export async function flushTableBatch(
  deps: TableFlushDeps,
  topic: string,
  partition: number,
  table: TableLane,
  changes: BufferedChange[],
  upTo: number,
): Promise<FlushedBatch> {
  const { contract } = table;
  const refused: RefusedChange[] = [];
  let accepted = changes;
  for (let round = 0; ; round++) {
    const rows = reduceBatch(contract, accepted);
    const snapshot = snapshotStep(accepted, table.snapshots);
    try {
      const staged = await deps.stager.stage(
        contract,
        topic,
        partition,
        firstOffset(accepted, upTo),
        upTo,
        rows,
        snapshot.shape,
      );
      await deps.destination.applyBatch({
        contract,
        topic,
        partition,
        claim: table.claim,
        nextOffset: upTo,
        rowCount: rows.length,
        ...staged,
      });
      return { rows: rows.length, refused, snapshot };
    } catch (error) {
      if (!isDataError(error) || round >= MAX_ISOLATION_ROUNDS) throw error;
      const found = await isolateRefused(accepted, (subset) => probe(deps, topic, partition, table, subset));
      if (found.length === 0) throw error;
      await deps.deadLetter(found);
      refused.push(...found);
      const out = new Set(found.map((r) => r.change));
      accepted = accepted.filter((c) => !out.has(c));
    }
  }
}

/** Loads and merges `changes` in a transaction that is always rolled back; the refusal, if any. */
async function probe(
  deps: TableFlushDeps,
  topic: string,
  partition: number,
  table: TableLane,
  changes: BufferedChange[],
): Promise<{ code: string; message: string } | undefined> {
  const { contract } = table;
  const rows = reduceBatch(contract, changes);
  const last = changes[changes.length - 1]!.offset;
  const staged = await deps.stager.stage(contract, topic, partition, changes[0]!.offset, last, rows);
  const refusal = await deps.destination.probeBatch({
    contract,
    topic,
    partition,
    claim: table.claim,
    nextOffset: last,
    rowCount: rows.length,
    ...staged,
  });
  if (refusal === undefined) return undefined;
  return { code: errorCode(refusal), message: refusal instanceof Error ? refusal.message : String(refusal) };
}

function firstOffset(changes: BufferedChange[], upTo: number): number {
  return changes[0]?.offset ?? upTo;
}

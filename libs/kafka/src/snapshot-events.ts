import type { ChangeEvent } from '@app/contracts';

/**
 * What a snapshot writes on its table's lane, besides its rows: JSON values keyed by the table
 * name, like the router's changes. A run is bracketed by its begin and end markers, so the sink
 * knows which rows one full refresh holds; a cancel marker ends a run that will not finish.
 * Rows are change events in their documented JSON form plus `snapshot`, the run they belong to.
 */
export type SnapshotMarker =
  | { table: string; op: 'snapshot-begin'; snapshot: string; ts: number }
  | { table: string; op: 'snapshot-end'; snapshot: string; rows: number }
  | { table: string; op: 'snapshot-cancel'; snapshot: string };

export type SnapshotMarkerOp = SnapshotMarker['op'];

export function snapshotBegin(table: string, run: string, ts: number): SnapshotMarker {
  return { table, op: 'snapshot-begin', snapshot: run, ts };
}

/** `rows`: every row of the run, over all the processes that wrote a part of it. */
export function snapshotEnd(table: string, run: string, rows: number): SnapshotMarker {
  return { table, op: 'snapshot-end', snapshot: run, rows };
}

export function snapshotCancel(table: string, run: string): SnapshotMarker {
  return { table, op: 'snapshot-cancel', snapshot: run };
}

/** A row of a run: the upsert as validated (prepareChange's `event`), marked with the run. */
export function snapshotRow(
  event: ChangeEvent & { op: 'upsert' },
  run: string,
): ChangeEvent & { snapshot: string } {
  return { ...event, snapshot: run };
}

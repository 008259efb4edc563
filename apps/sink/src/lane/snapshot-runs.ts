import { isSnapshotOp } from '@app/contracts';
import type { SnapshotRunRow, SnapshotShape } from '@app/warehouse';
import type { BufferedChange } from './buffered-change';

/** A table's open snapshot run, as its lane follows it. */
export interface OpenRun {
  run: string;
  /** The run's rows merged so far, by every owner of the lane: the runs table's count, then this process's batches. */
  rowsSeen: number;
  /** The rows the run expects, when its begin marker said. */
  total?: number;
  /** When the run began (its begin marker's time), epoch ms. */
  begunAt: number;
  /** When this process began to follow the run, and its count then: the rate is this process's. */
  followedSince: number;
  rowsAtFollow: number;
}

/** What a batch did to the table's runs, for the log and the metrics once it committed. */
export type SnapshotEvent =
  | { kind: 'begun'; run: string; total?: number }
  | { kind: 'abandoned'; run: string; by: string; rowsSeen: number }
  | { kind: 'done' | 'incomplete'; run: string; rowsSeen: number; expected: number }
  | { kind: 'cancelled'; run: string; rowsSeen: number }
  /** A marker of a run that is not the open one (or a second begin of it): changes nothing. */
  | { kind: 'ignored'; run: string; op: string; open: string | null }
  /** Rows of a run that is not open: merged as the upserts they are, not part of any refresh. */
  | { kind: 'stray rows'; run: string; rows: number; open: string | null };

/** What one batch does to the table's snapshot runs. */
export interface SnapshotStep {
  /** The batch's part in the run its merge applies (SnapshotShape); none outside any run. */
  shape?: SnapshotShape;
  /** The open run once the batch committed. */
  open?: OpenRun;
  /** Runs the batch ended (done, incomplete, cancelled or abandoned). */
  ended: string[];
  events: SnapshotEvent[];
}

/** How many ended runs a lane remembers, to ignore a second begin of one. */
const ENDED_REMEMBERED = 50;

/**
 * One table's snapshot runs on its lane: the open run (at most one) and the runs that ended,
 * restored from the warehouse's runs table before the lane's first batch of a claim (or after
 * an adopted checkpoint: `stale`), then moved forward by every committed batch.
 */
export class TableSnapshots {
  open?: OpenRun;
  readonly ended = new Set<string>();
  /** The runs table must be read before the next batch: a new claim, or a checkpoint adopted. */
  stale = true;

  restore(rows: readonly SnapshotRunRow[], now = Date.now()): void {
    const open = rows.find((r) => r.state === 'open');
    this.open = open && {
      run: open.run,
      rowsSeen: open.rowsSeen,
      ...(open.total !== null && { total: open.total }),
      begunAt: open.begunAt?.getTime() ?? now,
      followedSince: now,
      rowsAtFollow: open.rowsSeen,
    };
    this.ended.clear();
    for (const row of rows) if (row.state !== 'open') this.ended.add(row.run);
    this.stale = false;
  }

  /** The batch whose step this is committed. */
  apply(step: SnapshotStep): void {
    this.open = step.open;
    for (const run of step.ended) {
      this.ended.delete(run);
      this.ended.add(run);
    }
    for (const run of this.ended) {
      if (this.ended.size <= ENDED_REMEMBERED) break;
      this.ended.delete(run);
    }
  }

  /** Rows per second this process merged of the open run, and the seconds left when its total is known. */
  progress(now = Date.now()): { rowsPerSecond: number; etaSeconds: number | null } | undefined {
    const open = this.open;
    if (!open) return undefined;
    const seconds = (now - open.followedSince) / 1000;
    const rowsPerSecond = seconds > 0 ? (open.rowsSeen - open.rowsAtFollow) / seconds : 0;
    const etaSeconds =
      open.total !== undefined && rowsPerSecond > 0
        ? Math.max(0, open.total - open.rowsSeen) / rowsPerSecond
        : null;
    return { rowsPerSecond, etaSeconds };
  }
}

const closes = (op: string) => op === 'snapshot-end' || op === 'snapshot-cancel';

/**
 * How many of a table's buffered changes (in lane order) its next batch takes: all of them,
 * except that a batch ends with the first end or cancel marker and a begin marker is always a
 * batch's first change. A batch thus meets one run, open for all of its changes (or, cancelled,
 * for none): marking every staged key as seen is exact, and a refresh never keeps a key only
 * because the next run's rows shared its batch.
 */
export function batchLength(buffer: readonly BufferedChange[]): number {
  for (let i = 0; i < buffer.length; i++) {
    const { op } = buffer[i]!.change;
    if (op === 'snapshot-begin' && i > 0) return i;
    if (closes(op)) return i + 1;
  }
  return buffer.length;
}

/**
 * What a batch (cut by batchLength) does to the table's runs, from `runs` as they stand before it:
 * - a begin opens its run (a run still open is abandoned, as cancelled: one run at a time); a
 *   second begin of the open run, or of one that ended, changes nothing;
 * - rows of the open run count towards its rows seen; rows of another run are merged as the
 *   upserts they are, outside any refresh;
 * - the open run's end closes it: `done`, unless the lane merged fewer of its rows than the end
 *   says it wrote (the warehouse refused some), then `incomplete`, which deletes nothing; its
 *   cancel closes it, deleting nothing. Markers of another run change nothing.
 * Every staged key of a batch the run is open for is marked as seen (markSeen), live changes
 * as much as the run's rows: a row the run read before a live insert must not delete it.
 */
export function snapshotStep(
  changes: readonly BufferedChange[],
  runs: Pick<TableSnapshots, 'open' | 'ended'>,
  now = Date.now(),
): SnapshotStep {
  let open = runs.open && { ...runs.open };
  let shape: SnapshotShape | undefined = open && inRun(open.run);
  const ended: string[] = [];
  const events: SnapshotEvent[] = [];
  const stray = new Map<string, number>();
  changes.forEach(({ change }, index) => {
    const run = change.snapshot;
    if (run === undefined) return;
    if (!isSnapshotOp(change.op)) {
      if (open?.run === run) {
        open.rowsSeen++;
        shape!.rows++;
      } else stray.set(run, (stray.get(run) ?? 0) + 1);
      return;
    }
    const ignored = () => events.push({ kind: 'ignored', run, op: change.op, open: open?.run ?? null });
    const misplaced = change.op === 'snapshot-begin' ? index > 0 : index < changes.length - 1;
    if (change.op === 'snapshot-begin') {
      if (open?.run === run || runs.ended.has(run) || ended.includes(run)) return ignored();
      if (misplaced) throw new Error(`a begin marker must be the first change of its batch (batchLength)`);
      const abandoned = open?.run;
      if (open && abandoned !== undefined) {
        events.push({ kind: 'abandoned', run: abandoned, by: run, rowsSeen: open.rowsSeen });
        ended.push(abandoned);
      }
      const begunAt = change.ts ?? now;
      open = {
        run,
        rowsSeen: 0,
        ...(change.total !== undefined && { total: change.total }),
        begunAt,
        followedSince: now,
        rowsAtFollow: 0,
      };
      shape = {
        ...inRun(run),
        begin: true,
        begunAt: new Date(begunAt),
        ...(change.total !== undefined && { total: change.total }),
        ...(abandoned !== undefined && { abandoned }),
      };
      events.push({ kind: 'begun', run, ...(change.total !== undefined && { total: change.total }) });
      return;
    }
    if (open?.run !== run) return ignored();
    if (misplaced)
      throw new Error(`an ${change.op} marker must be the last change of its batch (batchLength)`);
    if (change.op === 'snapshot-cancel') {
      shape = { ...shape!, cancel: true, markSeen: false };
      events.push({ kind: 'cancelled', run, rowsSeen: open.rowsSeen });
    } else {
      const expected = change.rows!;
      const incomplete = open.rowsSeen < expected;
      shape = { ...shape!, end: true, expected, ...(incomplete && { incomplete }) };
      events.push({ kind: incomplete ? 'incomplete' : 'done', run, rowsSeen: open.rowsSeen, expected });
    }
    ended.push(run);
    open = undefined;
  });
  for (const [run, rows] of stray) events.push({ kind: 'stray rows', run, rows, open: open?.run ?? null });
  return { ...(shape && { shape }), ...(open && { open }), ended, events };
}

function inRun(run: string): SnapshotShape {
  return { run, markSeen: true, begin: false, end: false, cancel: false, rows: 0 };
}

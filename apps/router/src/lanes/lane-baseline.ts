import { TablelaneError, type TableContract } from '@app/config';
import { laneInBaseline, laneOf, type LaneBaseline } from '@app/kafka';

// The baseline's shape lives in libs/kafka, where the CLI reads it too; the router's modules
// keep importing it from here.
export type { LaneBaseline };

export type LanePlan = {
  /** Lane of every declared table, computed from the baseline's partition count. */
  lanes: ReadonlyMap<string, number>;
  /** The baseline to record: the old one plus tables seen for the first time. */
  baseline: LaneBaseline;
  /** Tables that got their first lane now; the baseline must be written when non-empty. */
  added: string[];
};

/** Code of the refusal, so operators and tests can tell it from other start failures. */
export const LANES_CHANGED = 'LANES_CHANGED';

/**
 * Starting would give a table a second lane (partition) while its old lane may still hold
 * changes not yet loaded: two writers for one table, out of order. Retrying cannot help; an
 * operator must drain and re-baseline.
 */
export class LanesChangedError extends TablelaneError {
  readonly code = LANES_CHANGED;
  readonly retriable = false;
  constructor(
    readonly changesTopic: string,
    readonly reasons: string[],
  ) {
    super(
      [
        `refusing to route: the lanes of ${changesTopic} would change.`,
        ...reasons.map((r) => `  - ${r}`),
        'A table must never have two lanes at once, so its lane may only move once the old lane is drained:',
        '  1. stop every router (producers keep writing to the ingest topic; nothing is lost),',
        `  2. wait until the sink has loaded everything on ${changesTopic} (its consumer group has no lag),`,
        `  3. run: node dist/apps/router/src/main.js rebaseline --drained-group <sink consumer group, e.g. tablelane-sink>`,
        '  4. start the routers again.',
        'Or undo the change (partition count or lane pinning). See docs/operations-lanes.md.',
      ].join('\n'),
    );
    this.name = 'LanesChangedError';
  }
}

/**
 * Decides the lane of every table against the recorded baseline. Lanes are always computed
 * from the baseline's partition count, never from a live count read later, so partitions
 * added while a router runs cannot move a table.
 */
export function planLanes(
  tables: readonly TableContract[],
  changesTopic: string,
  actualPartitions: number,
  recorded: LaneBaseline | undefined,
  now: Date = new Date(),
): LanePlan {
  const partitions = recorded?.partitions ?? actualPartitions;
  const reasons: string[] = [];
  if (recorded && recorded.partitions !== actualPartitions) {
    reasons.push(
      `${changesTopic} has ${actualPartitions} partitions, but its lanes were built for ${recorded.partitions} (recorded ${recorded.recordedAt}); the hash of a table name would pick another partition for most tables`,
    );
  }
  const computed = new Map<string, number>();
  const added: string[] = [];
  for (const table of tables) {
    let lane: number;
    try {
      lane = laneOf(table, partitions);
    } catch (error) {
      reasons.push((error as Error).message);
      continue;
    }
    computed.set(table.name, lane);
    const before = recorded?.lanes[table.name];
    if (before === undefined) added.push(table.name);
    else if (before !== lane)
      reasons.push(
        `table ${table.name} was on lane ${before} and would move to lane ${lane} (its lane pinning changed)`,
      );
  }
  if (reasons.length > 0) throw new LanesChangedError(changesTopic, reasons);
  const baseline: LaneBaseline = {
    changesTopic,
    partitions,
    lanes: {
      ...(recorded?.lanes ?? {}),
      ...Object.fromEntries(added.map((name) => [name, computed.get(name)!])),
    },
    recordedAt: added.length > 0 || !recorded ? now.toISOString() : recorded.recordedAt,
  };
  // Routed through the lookup `tablelane lag` uses, so both put every table on one lane.
  const lanes = new Map(tables.map((table) => [table.name, laneInBaseline(baseline, table)]));
  return { lanes, baseline, added };
}

/** A fresh baseline for a drained topic: every table's lane recomputed for the live count. */
export function rebaseline(
  tables: readonly TableContract[],
  changesTopic: string,
  partitions: number,
  now: Date = new Date(),
): LaneBaseline {
  return planLanes(tables, changesTopic, partitions, undefined, now).baseline;
}

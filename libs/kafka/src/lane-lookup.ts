import { laneOf } from './murmur2';

/**
 * What the lanes of the changes topic were built for: its partition count and the lane of
 * every table routed so far. The first router to start records it in the compacted
 * `<changes topic>.lanes` topic; every router start compares against it.
 */
export interface LaneBaseline {
  changesTopic: string;
  partitions: number;
  lanes: Record<string, number>;
  recordedAt: string;
}

/**
 * The lane of a table under a baseline: the lane recorded for it or, for a table the baseline
 * does not hold yet, the lane a router records when it first meets the table. Both come from
 * the baseline's partition count, never a live one: partitions added later move no table, so
 * the router and every reader of lag agree on where a table's changes are.
 */
export function laneInBaseline(
  baseline: Pick<LaneBaseline, 'partitions' | 'lanes'>,
  table: { name: string; lane?: number },
): number {
  return baseline.lanes[table.name] ?? laneOf(table, baseline.partitions);
}

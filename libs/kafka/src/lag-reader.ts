import type { KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import { readLaneBaseline } from './lane-baseline-topic';
import { laneInBaseline, type LaneBaseline } from './lane-lookup';

export interface PartitionLag {
  partition: number;
  /** The partition's end offset (high watermark). */
  end: number;
  /** The group's committed offset; 0 when it has committed none. */
  committed: number;
  /** Offsets between the two: changes not yet read, and transaction markers. */
  messagesBehind: number;
}

/** Messages a consumer group has still to read on each partition of a topic, from the cluster. */
export async function readPartitionLag(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
): Promise<PartitionLag[]> {
  const [ends, offsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  // A group that never committed on a partition reports -1 there, or nothing for a new partition.
  const committed = new Map(
    (offsets[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]),
  );
  return ends.map(({ partition, high }) => {
    const done = committed.get(partition) ?? 0;
    // A topic truncated below the committed offset has nothing left to read, not negative lag.
    return {
      partition,
      end: Number(high),
      committed: done,
      messagesBehind: Math.max(0, Number(high) - done),
    };
  });
}

/** Messages behind summed over the partitions: 0 means the group has read everything. */
export function totalMessagesBehind(lag: readonly PartitionLag[]): number {
  return lag.reduce((sum, p) => sum + p.messagesBehind, 0);
}

export interface TableLaneLag {
  table: string;
  lane: number;
  /** Messages behind on the table's lane (shared with its lane-mates). */
  messagesBehind: number;
}

export interface TableLagQuery {
  groupId: string;
  changesTopic: string;
  /** The compacted topic the router records the lane baseline in. */
  lanesTopic: string;
  tables: readonly { name: string; lane?: number }[];
}

export interface TableLagReport {
  /** The recorded baseline the lanes come from; undefined before any router has started. */
  baseline: LaneBaseline | undefined;
  /** In the order of the query's tables. */
  tables: TableLaneLag[];
}

/**
 * Lag per table lane, with every table on the lane the router records for it. Without a
 * baseline (no router started yet) the lanes are those the first router will record, from the
 * live partition count.
 */
export async function readTableLag(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  query: TableLagQuery,
): Promise<TableLagReport> {
  const [baseline, partitions] = await Promise.all([
    readLaneBaseline(kafka, admin, query.lanesTopic, query.changesTopic),
    readPartitionLag(admin, query.groupId, query.changesTopic),
  ]);
  const behind = new Map(partitions.map((p) => [p.partition, p.messagesBehind]));
  const lanes = baseline ?? { partitions: partitions.length, lanes: {} };
  return {
    baseline,
    tables: query.tables.map((table) => {
      const lane = laneInBaseline(lanes, table);
      return { table: table.name, lane, messagesBehind: behind.get(lane) ?? 0 };
    }),
  };
}

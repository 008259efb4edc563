import type { TablelaneConfig } from '@app/config';
import { laneOf } from '@app/kafka';
import type { Destination } from '@app/warehouse';
import type { Admin } from 'kafkajs';

export interface TableLag {
  table: string;
  lane: number;
  /** Changes on the lane not yet committed by the sink group. */
  messagesBehind: number;
  /** Last lane offset applied to this table in the warehouse (-1: none yet). */
  checkpoint: number;
  owner: string | null;
  lastCommit: string | null;
}

/** Lag per table lane, from the cluster (high watermarks, group offsets) and the checkpoints. */
export async function tableLag(
  config: TablelaneConfig,
  admin: Admin,
  destination: Destination,
  groupId: string,
): Promise<TableLag[]> {
  const topic = config.topics.changes;
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const high = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const done = new Map(committed[0]!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  const rows: TableLag[] = [];
  for (const contract of config.tables) {
    const lane = laneOf(contract, ends.length);
    const checkpoint = (await destination.readCheckpoints(contract).catch(() => [])).find(
      (c) => c.topic === topic && c.partition === lane,
    );
    rows.push({
      table: contract.name,
      lane,
      messagesBehind: (high.get(lane) ?? 0) - (done.get(lane) ?? 0),
      checkpoint: checkpoint?.lastOffset ?? -1,
      owner: checkpoint?.owner ?? null,
      lastCommit: checkpoint?.committedAt ? new Date(checkpoint.committedAt).toISOString() : null,
    });
  }
  return rows;
}

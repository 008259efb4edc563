import { runtimeSettings, type TablelaneConfig } from '@app/config';
import { createKafka, laneBaselineTopic, readTableLag, type KafkaAdmin } from '@app/kafka';
import type { Destination } from '@app/warehouse';

export interface TableLag {
  table: string;
  /** The lane the router recorded for the table (its baseline), not one from the live count. */
  lane: number;
  /** Changes on the lane not yet committed by the sink group. */
  messagesBehind: number;
  /** Last lane offset applied to this table in the warehouse (-1: none yet). */
  checkpoint: number;
  owner: string | null;
  lastCommit: string | null;
}

/** Lag per table lane, from the cluster (lane baseline, end and group offsets) and the checkpoints. */
export async function tableLag(
  config: TablelaneConfig,
  admin: KafkaAdmin,
  destination: Destination,
  groupId: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TableLag[]> {
  const topic = config.topics.changes;
  const runtime = runtimeSettings(env);
  // Reading the baseline needs a consumer, which an Admin cannot make; main.ts hands over only
  // the admin, so the client comes from the same settings main.ts builds its own from.
  const kafka = createKafka(runtime.kafkaBrokers, `${runtime.kafkaClientId}-cli`);
  const report = await readTableLag(kafka, admin, {
    groupId,
    changesTopic: topic,
    // The router's own override of the lane-baseline topic, so both read the same baseline.
    lanesTopic: laneBaselineTopic(topic, env.TABLELANE_TOPIC_LANES || undefined),
    tables: config.tables,
  });
  const rows: TableLag[] = [];
  for (const [index, contract] of config.tables.entries()) {
    const { lane, messagesBehind } = report.tables[index]!;
    const checkpoint = (await destination.readCheckpoints(contract).catch(() => [])).find(
      (c) => c.topic === topic && c.partition === lane,
    );
    rows.push({
      table: contract.name,
      lane,
      messagesBehind,
      checkpoint: checkpoint?.lastOffset ?? -1,
      owner: checkpoint?.owner ?? null,
      lastCommit: checkpoint?.committedAt ? new Date(checkpoint.committedAt).toISOString() : null,
    });
  }
  return rows;
}

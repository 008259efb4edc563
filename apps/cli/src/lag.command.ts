import { cliSettings, type CliSettings, type TablelaneConfig } from '@app/config';
import { laneBaselineTopic, readTableLag, type KafkaAdmin, type KafkaClient } from '@app/kafka';
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
  /**
   * The table's open snapshot run, as the sink records it in the warehouse: `<run>: <rows>
   * rows merged[ of <total>] since <begin>`; null when none is running.
   */
  snapshot: string | null;
}

/**
 * Lag per table lane, from the cluster (lane baseline, end and group offsets) and the checkpoints,
 * for the sinks' group (TABLELANE_SINK_GROUP).
 */
export async function tableLag(
  config: TablelaneConfig,
  kafka: KafkaClient,
  admin: KafkaAdmin,
  destination: Destination,
  settings: CliSettings = cliSettings(),
): Promise<TableLag[]> {
  const topic = config.topics.changes;
  const report = await readTableLag(kafka, admin, {
    groupId: settings.sinkGroup,
    changesTopic: topic,
    // The router's own override of the lane-baseline topic, so both read the same baseline.
    lanesTopic: laneBaselineTopic(topic, settings.lanesTopic),
    tables: config.tables,
  });
  const rows: TableLag[] = [];
  for (const [index, contract] of config.tables.entries()) {
    const { lane, messagesBehind } = report.tables[index]!;
    const checkpoint = (await destination.readCheckpoints(contract).catch(() => [])).find(
      (c) => c.topic === topic && c.partition === lane,
    );
    const open = (await destination.readSnapshotRuns(contract).catch(() => [])).find(
      (r) => r.state === 'open',
    );
    rows.push({
      table: contract.name,
      lane,
      messagesBehind,
      checkpoint: checkpoint?.lastOffset ?? -1,
      owner: checkpoint?.owner ?? null,
      lastCommit: checkpoint?.committedAt ? new Date(checkpoint.committedAt).toISOString() : null,
      snapshot: open
        ? `${open.run}: ${open.rowsSeen} rows merged${open.total !== null ? ` of ${open.total}` : ''}` +
          (open.begunAt ? ` since ${open.begunAt.toISOString()}` : '')
        : null,
    });
  }
  return rows;
}

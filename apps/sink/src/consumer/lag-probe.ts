import { readPartitionLag, type KafkaAdmin } from '@app/kafka';
import type { Logger } from '@app/observability';
import type { Lane } from '../lane/lane';
import type { SinkMetrics } from '../metrics/sink-metrics';

/**
 * Lag per lane and table as operators watch it: messages past the group's committed offset
 * (from the cluster) and seconds behind (the oldest change not yet in the warehouse).
 */
export async function refreshLag(
  admin: KafkaAdmin,
  groupId: string,
  topic: string,
  lanes: Iterable<Lane>,
  metrics: SinkMetrics,
  logger: Logger,
): Promise<void> {
  try {
    const behind = new Map(
      (await readPartitionLag(admin, groupId, topic)).map((p) => [p.partition, p.messagesBehind]),
    );
    const { laneLagMessages, tableLagMessages, tableLagSeconds } = metrics;
    laneLagMessages.reset();
    tableLagMessages.reset();
    tableLagSeconds.reset();
    const now = Date.now();
    for (const lane of lanes) {
      lane.lagMessages = behind.get(lane.partition) ?? 0;
      const partition = String(lane.partition);
      laneLagMessages.set({ partition }, lane.lagMessages);
      for (const [table, state] of lane.tables) {
        tableLagMessages.set({ table, partition }, lane.lagMessages);
        tableLagSeconds.set({ table }, (now - (state.oldestPendingAt ?? now)) / 1000);
      }
    }
  } catch (error) {
    logger.debug({ err: error }, 'lag probe failed; next probe retries');
  }
}

import type { Logger } from '@app/observability';
import type { Admin } from 'kafkajs';
import type { Lane } from '../lane/lane';
import type { SinkMetrics } from '../metrics/sink-metrics';

/**
 * Lag per lane and table as operators watch it: messages past the group's committed offset
 * (from the cluster) and seconds behind (the oldest change not yet in the warehouse).
 */
export async function refreshLag(
  admin: Admin,
  groupId: string,
  topic: string,
  lanes: Iterable<Lane>,
  metrics: SinkMetrics,
  logger: Logger,
): Promise<void> {
  try {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const high = new Map(ends.map((p) => [p.partition, Number(p.high)]));
    const done = new Map(committed[0]!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    const { laneLagMessages, tableLagMessages, tableLagSeconds } = metrics;
    laneLagMessages.reset();
    tableLagMessages.reset();
    tableLagSeconds.reset();
    const now = Date.now();
    for (const lane of lanes) {
      lane.lagMessages = Math.max(0, (high.get(lane.partition) ?? 0) - (done.get(lane.partition) ?? 0));
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

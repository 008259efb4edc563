import type { Producer } from 'kafkajs';
import { laneOf } from '@app/kafka';
import type { Workload } from '@app/simulation';

export { diffWarehouse, generateWorkload, type Workload } from '@app/simulation';

/**
 * Sends each producer's events in order, all producers at once, straight onto their lanes.
 * With `round` of `rounds`, sends only that share of every producer's events, so a test can
 * feed the pipeline in steps; rounds sent in sequence keep each producer's order.
 */
export async function produceWorkload(
  makeProducer: () => Producer,
  topic: string,
  partitions: number,
  workload: Workload,
  tables: { name: string; lane?: number }[],
  round = 0,
  rounds = 1,
): Promise<void> {
  await Promise.all(
    workload.producers.map(async (all) => {
      const events = all.slice(
        Math.floor((round * all.length) / rounds),
        Math.floor(((round + 1) * all.length) / rounds),
      );
      const producer = makeProducer();
      await producer.connect();
      for (let i = 0; i < events.length; i += 25) {
        const slice = events.slice(i, i + 25);
        await producer.send({
          topic,
          acks: -1,
          messages: slice.map((e) => ({
            key: e.table,
            value: e.value,
            partition: laneOf(
              tables.find((t) => t.name === e.table)!,
              partitions,
            ),
          })),
        });
      }
      await producer.disconnect();
    }),
  );
}

// The pipeline support loads the router harness first (read_committed fix before kafkajs).
import { cliPipeline } from './support/pipeline';
import { readCommitted, testKafka } from '../router/support/harness';
import { laneOf } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka';

const RECORDED_PARTITIONS = 4;
const LIVE_PARTITIONS = 6;

/**
 * Tables named so the test means something whatever the run's unique schema: three whose
 * hash lane differs between the recorded and the live partition count, one whose lane does not.
 */
function tablesFor(schema: string): { name: string; columns: { id: string }; primaryKey: string[] }[] {
  const moved: string[] = [];
  const stayed: string[] = [];
  for (let i = 0; moved.length < 3 || stayed.length < 1; i++) {
    const name = `${schema}.t${i}`;
    const list = laneOf({ name }, RECORDED_PARTITIONS) === laneOf({ name }, LIVE_PARTITIONS) ? stayed : moved;
    list.push(name);
  }
  return [...moved.slice(0, 3), stayed[0]!].map((name) => ({
    name,
    columns: { id: 'bigint' },
    primaryKey: ['id'],
  }));
}

describe('tablelane lag', () => {
  it('reports every table on its recorded lane after partitions were added to the changes topic', async () => {
    const p = cliPipeline('cli.lag');
    const tables = tablesFor(p.schema);
    const config = p.writeConfig(tables);
    await p.createTopics(config, { ingest: 1, changes: RECORDED_PARTITIONS });

    // The router records the baseline for 4 partitions and routes a few changes per table.
    const router = p.startRouter(config);
    await router.waitFor(/lane baseline recorded/);
    await router.waitFor(/router running/);
    const kafka = testKafka();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const events = tables.flatMap((t, i) =>
      Array.from({ length: i + 1 }, (_, id) => ({ table: t.name, op: 'upsert', row: { id } })),
    );
    await producer.send({
      topic: p.topics.ingest,
      acks: -1,
      messages: events.map((e) => ({ value: JSON.stringify(e) })),
    });
    await producer.disconnect();
    const routed = await readCommitted(kafka, p.topics.changes, events.length, { quietMs: 500 });
    expect(routed).toHaveLength(events.length);
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(0);

    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createPartitions({
        topicPartitions: [{ topic: p.topics.changes, count: LIVE_PARTITIONS }],
      });
      // The added partitions answer offset requests only once they have leaders.
      let ends = new Map<number, number>();
      await waitFor(
        'the added partitions to have leaders',
        async () => {
          const offsets = await admin.fetchTopicOffsets(p.topics.changes).catch(() => []);
          ends = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
          return ends.size === LIVE_PARTITIONS;
        },
        30_000,
      );

      const rows = await p.cliJson<{ table: string; lane: number; messagesBehind: number }[]>(config, [
        'lag',
      ]);
      expect(rows.map((r) => r.table)).toEqual(tables.map((t) => t.name));
      for (const row of rows) {
        const recorded = laneOf({ name: row.table }, RECORDED_PARTITIONS);
        // Where the router put the table's changes, and so where the sink must drain them.
        expect(new Set(routed.filter((r) => r.key === row.table).map((r) => r.partition))).toEqual(
          new Set([recorded]),
        );
        expect(row, row.table).toMatchObject({ lane: recorded, messagesBehind: ends.get(recorded) });
        // No sink has read anything: the whole lane is behind, its changes and commit markers.
        expect(row.messagesBehind).toBeGreaterThan(0);
      }
    } finally {
      await admin.disconnect();
    }
  });
});

import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { findDrift, type ObservedTopic } from './topic-drift';
import {
  DEAD_LETTER_HEADROOM_BYTES,
  DEFAULT_TOPIC_MAX_MESSAGE_BYTES,
  planTopics,
  TopicPlanError,
} from './topic-plan';

const table = { name: 'public.sales', columns: { id: 'bigint' }, primaryKey: ['id'] };
const config = parseConfig({ topics: { ingest: 'i', changes: 'c', dlq: 'd' }, tables: [table] });

/** What a cluster would hold after creating the plan exactly. */
function asCreated(plan: ReturnType<typeof planTopics>): Map<string, ObservedTopic> {
  return new Map(
    plan.topics.map((t) => [
      t.name,
      {
        name: t.name,
        partitions: t.partitions,
        replicationFactor: t.replicationFactor,
        config: { ...t.config },
      },
    ]),
  );
}

describe('planTopics', () => {
  it('plans the six topics with dead-letter headroom and compacted state topics', () => {
    const plan = planTopics(config, {}, 3);
    expect(plan.topics.map((t) => [t.role, t.name, t.partitions, t.config['cleanup.policy']])).toEqual([
      ['ingest', 'i', 8, 'delete'],
      ['changes', 'c', 8, 'delete'],
      ['dlq', 'd', 1, 'delete'],
      ['lanes', 'c.lanes', 1, 'compact'],
      ['replays', 'd.replays', 1, 'compact'],
      ['snapshots', 'c.snapshots', 1, 'compact'],
    ]);
    const dlq = plan.topics.find((t) => t.role === 'dlq')!;
    expect(Number(dlq.config['max.message.bytes'])).toBe(
      DEFAULT_TOPIC_MAX_MESSAGE_BYTES + DEAD_LETTER_HEADROOM_BYTES,
    );
    expect(
      plan.topics.every((t) => t.replicationFactor === 3 && t.config['min.insync.replicas'] === '2'),
    ).toBe(true);
    // The changes must be forgotten by Kafka before the sinks forget their deletes.
    expect(Number(plan.topics[1]!.config['retention.ms'])).toBeLessThan(
      config.warehouse.tombstoneRetentionMs,
    );
    expect(plan.warnings).toEqual([]);
  });

  it('caps the replication factor to the brokers, with a warning', () => {
    const plan = planTopics(config, { replicationFactor: 3 }, 1);
    expect(
      plan.topics.every((t) => t.replicationFactor === 1 && t.config['min.insync.replicas'] === '1'),
    ).toBe(true);
    expect(plan.warnings[0]).toContain('capped to 1');
  });

  it('gives the changes topic enough lanes for pinned tables and refuses too few', () => {
    const pinned = parseConfig({ tables: [{ ...table, lane: 11 }] });
    expect(planTopics(pinned, {}, 1).topics[1]!.partitions).toBe(12);
    expect(() => planTopics(pinned, { changesPartitions: 8 }, 1)).toThrow(TopicPlanError);
  });
});

describe('findDrift', () => {
  it('finds none on what the plan created', () => {
    const plan = planTopics(config, {}, 1);
    expect(findDrift(plan, asCreated(plan))).toEqual([]);
  });

  it('reports missing topics, compacted changes, a dlq without headroom and too long a retention, each with a fix', () => {
    const plan = planTopics(config, {}, 1);
    const observed = asCreated(plan);
    observed.delete('d.replays');
    observed.get('c')!.config['cleanup.policy'] = 'compact';
    observed.get('c')!.config['retention.ms'] = '-1';
    observed.get('d')!.config['max.message.bytes'] = String(DEFAULT_TOPIC_MAX_MESSAGE_BYTES);
    const drift = findDrift(plan, observed);
    expect(drift.map((d) => [d.topic, d.problem.split(' ')[0]])).toEqual([
      ['c', 'cleanup.policy'],
      ['d.replays', 'missing'],
      ['d', 'max.message.bytes'],
      ['c', 'retention.ms'],
    ]);
    expect(drift[0]!.fix).toContain('--entity-name c --add-config cleanup.policy=delete');
    expect(drift[2]!.fix).toContain(
      `max.message.bytes=${DEFAULT_TOPIC_MAX_MESSAGE_BYTES + DEAD_LETTER_HEADROOM_BYTES}`,
    );
  });

  it('accepts more partitions than the default but not fewer than asked for, and never suggests adding lanes', () => {
    const plan = planTopics(config, {}, 1);
    const observed = asCreated(plan);
    observed.get('i')!.partitions = 16;
    expect(findDrift(plan, observed)).toEqual([]);
    const asked = planTopics(config, { changesPartitions: 12 }, 1);
    const [drift] = findDrift(asked, observed);
    expect(drift).toMatchObject({ topic: 'c', problem: '8 partitions, needs 12' });
    expect(drift!.fix).toContain('docs/operations-lanes.md');
  });

  it('measures the dlq headroom against the larger of ingest and changes as they are', () => {
    const plan = planTopics(config, {}, 1);
    const observed = asCreated(plan);
    observed.get('i')!.config['max.message.bytes'] = String(4 * 1024 * 1024);
    expect(findDrift(plan, observed)[0]!.fix).toContain(
      `max.message.bytes=${4 * 1024 * 1024 + DEAD_LETTER_HEADROOM_BYTES}`,
    );
  });
});

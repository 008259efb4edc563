import { DEAD_LETTER_HEADROOM_BYTES, type PlannedTopic, type TopicPlan, type TopicRole } from './topic-plan';

/** A topic as the cluster has it: partition count, replication and effective configs. */
export interface ObservedTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

/** One way a topic differs from what tablelane needs, with the command that fixes it. */
export interface TopicDrift {
  topic: string;
  role: TopicRole;
  problem: string;
  fix: string;
}

/**
 * Compares the cluster's topics with the plan. Only what tablelane depends on counts: the
 * partition count (lanes), `cleanup.policy` (compacting changes would keep one change per
 * table), `max.message.bytes` (a dead letter must fit where its record came from) and the
 * changes' retention against the tombstones' memory.
 */
export function findDrift(plan: TopicPlan, observed: ReadonlyMap<string, ObservedTopic>): TopicDrift[] {
  const drift: TopicDrift[] = [];
  const byRole = new Map(plan.topics.map((t) => [t.role, t]));
  for (const planned of plan.topics) {
    const found = observed.get(planned.name);
    const report = (problem: string, fix: string) =>
      drift.push({ topic: planned.name, role: planned.role, problem, fix });
    if (!found) {
      report('missing', 'tablelane topics create');
      continue;
    }
    partitionDrift(planned, found, report);
    const policy = found.config['cleanup.policy'];
    const wantedPolicy = planned.config['cleanup.policy']!;
    if (policy !== undefined && policy !== wantedPolicy)
      report(
        `cleanup.policy is ${policy}, needs ${wantedPolicy}`,
        alterConfig(planned.name, 'cleanup.policy', wantedPolicy),
      );
    if (found.replicationFactor < planned.replicationFactor)
      report(
        `replication factor ${found.replicationFactor}, planned ${planned.replicationFactor}`,
        `kafka-reassign-partitions.sh --bootstrap-server <brokers> --execute --reassignment-json-file <plan adding replicas to ${planned.name}>`,
      );
    const bytes = Number(found.config['max.message.bytes']);
    if (planned.exactMaxMessageBytes !== undefined && bytes !== planned.exactMaxMessageBytes)
      report(
        `max.message.bytes is ${bytes}, asked for ${planned.exactMaxMessageBytes}`,
        alterConfig(planned.name, 'max.message.bytes', String(planned.exactMaxMessageBytes)),
      );
  }
  const dlq = byRole.get('dlq');
  const sources = ['ingest', 'changes'].map((r) => observed.get(byRole.get(r as TopicRole)?.name ?? ''));
  const dlqFound = dlq && observed.get(dlq.name);
  if (dlq && dlqFound && sources.every(Boolean)) {
    const needed =
      Math.max(...sources.map((s) => Number(s!.config['max.message.bytes']))) + DEAD_LETTER_HEADROOM_BYTES;
    const has = Number(dlqFound.config['max.message.bytes']);
    if (has < needed)
      drift.push({
        topic: dlq.name,
        role: 'dlq',
        problem: `max.message.bytes is ${has}: a dead letter of the largest ingest or changes record plus its headers needs ${needed}`,
        fix: alterConfig(dlq.name, 'max.message.bytes', String(needed)),
      });
  }
  const changes = byRole.get('changes');
  const changesFound = changes && observed.get(changes.name);
  if (changes && changesFound) {
    const retention = Number(changesFound.config['retention.ms']);
    if (retention < 0 || retention >= plan.tombstoneRetentionMs)
      drift.push({
        topic: changes.name,
        role: 'changes',
        problem: `retention.ms is ${retention}, not below the sinks' tombstoneRetentionMs ${plan.tombstoneRetentionMs}: a delete could be forgotten while an older change is still replayable`,
        fix: alterConfig(changes.name, 'retention.ms', changes.config['retention.ms']!),
      });
  }
  return drift;
}

function partitionDrift(
  planned: PlannedTopic,
  found: ObservedTopic,
  report: (problem: string, fix: string) => void,
): void {
  const tooFew = found.partitions < planned.minPartitions;
  const notExact = planned.exactPartitions && found.partitions !== planned.partitions;
  if (!tooFew && !notExact) return;
  const wanted = planned.exactPartitions ? planned.partitions : planned.minPartitions;
  const problem = `${found.partitions} partitions, needs ${planned.exactPartitions ? '' : 'at least '}${wanted}`;
  if (planned.role === 'changes')
    report(
      problem,
      'a new partition count moves lanes: stop the routers, drain and re-baseline (docs/operations-lanes.md)',
    );
  else if (found.partitions < wanted)
    report(
      problem,
      `kafka-topics.sh --bootstrap-server <brokers> --alter --topic ${planned.name} --partitions ${wanted}`,
    );
  else report(problem, `Kafka cannot remove partitions: recreate ${planned.name} once it is drained`);
}

function alterConfig(topic: string, name: string, value: string): string {
  return `kafka-configs.sh --bootstrap-server <brokers> --alter --entity-type topics --entity-name ${topic} --add-config ${name}=${value}`;
}

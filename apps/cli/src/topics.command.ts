import { cliSettings, type CliSettings, type TablelaneConfig } from '@app/config';
import {
  brokerCount,
  createMissingTopics,
  findDrift,
  observeTopics,
  planTopics,
  type KafkaAdmin,
  type ObservedTopic,
  type TopicDrift,
  type TopicPlan,
  type TopicPlanOptions,
} from '@app/kafka';
import type { CliArgs } from './cli-args';

export interface TopicsResult {
  plan: TopicPlan;
  created: string[];
  /** The topics as the cluster has them after the run. */
  observed: ObservedTopic[];
  drift: TopicDrift[];
}

/** The flags of `topics create` and `topics check`; what is not given comes from the plan's defaults. */
export function topicPlanOptions(args: CliArgs, settings: CliSettings = cliSettings()): TopicPlanOptions {
  return {
    ingestPartitions: args.positiveInt('ingest-partitions'),
    changesPartitions: args.positiveInt('changes-partitions'),
    dlqPartitions: args.positiveInt('dlq-partitions'),
    replicationFactor: args.positiveInt('replication-factor'),
    maxMessageBytes: args.positiveInt('max-message-bytes'),
    ingestRetentionMs: args.positiveInt('ingest-retention-ms'),
    changesRetentionMs: args.positiveInt('changes-retention-ms'),
    dlqRetentionMs: args.positiveInt('dlq-retention-ms'),
    // The router's own override of the lane-baseline topic, so both name the same topic.
    lanesTopic: settings.lanesTopic,
  };
}

/**
 * `create` creates what is missing, then checks everything; `check` only checks. An existing
 * topic is never recreated or altered: its drift is reported with the command that fixes it.
 */
export async function runTopics(
  mode: 'create' | 'check',
  config: TablelaneConfig,
  admin: KafkaAdmin,
  options: TopicPlanOptions,
): Promise<TopicsResult> {
  const plan = planTopics(config, options, await brokerCount(admin));
  const created = mode === 'create' ? await createMissingTopics(admin, plan.topics) : [];
  const observed = await observeTopics(
    admin,
    plan.topics.map((t) => t.name),
  );
  return { plan, created, observed: [...observed.values()], drift: findDrift(plan, observed) };
}

export function printTopics(result: TopicsResult): void {
  for (const warning of result.plan.warnings) console.error(`warning: ${warning}`);
  for (const topic of result.plan.topics) {
    const problems = result.drift.filter((d) => d.topic === topic.name);
    const state = result.created.includes(topic.name) ? 'created' : problems.length > 0 ? 'DRIFT' : 'ok';
    // What the cluster has, or what the plan would create when the topic is missing.
    const found = result.observed.find((o) => o.name === topic.name);
    const shown = found ?? topic;
    const settings = Object.entries(found?.config ?? topic.config)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    console.log(
      `${state.padEnd(7)} ${topic.role.padEnd(9)} ${topic.name} (partitions ${shown.partitions}, replication ${shown.replicationFactor}; ${settings})`,
    );
    for (const problem of problems)
      console.log(`          ${problem.problem}\n          fix: ${problem.fix}`);
  }
}

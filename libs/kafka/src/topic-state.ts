import { TOPIC_RESOURCE, type KafkaAdmin } from './kafka-admin.port';
import type { ObservedTopic } from './topic-drift';
import type { PlannedTopic } from './topic-plan';

/** The configs tablelane checks; describeConfigs answers their effective values (broker defaults too). */
const CHECKED_CONFIGS = ['cleanup.policy', 'max.message.bytes', 'retention.ms', 'min.insync.replicas'];

/** The named topics that exist, with partition count, replication factor and effective configs. */
export async function observeTopics(admin: KafkaAdmin, names: string[]): Promise<Map<string, ObservedTopic>> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((n) => existing.has(n));
  const observed = new Map<string, ObservedTopic>();
  if (present.length === 0) return observed;
  const [metadata, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics: present }),
    admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: CHECKED_CONFIGS,
      })),
    }),
  ]);
  for (const topic of metadata.topics) {
    const resource = configs.resources.find((r) => r.resourceName === topic.name);
    observed.set(topic.name, {
      name: topic.name,
      partitions: topic.partitions.length,
      replicationFactor: Math.min(...topic.partitions.map((p) => p.replicas.length)),
      config: Object.fromEntries((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue])),
    });
  }
  return observed;
}

/** Number of brokers in the cluster, which caps the replication factor. */
export async function brokerCount(admin: KafkaAdmin): Promise<number> {
  return (await admin.describeCluster()).brokers.length;
}

/**
 * Creates the planned topics that do not exist yet; never touches an existing one (a second
 * run, or another job racing this one, finds them and only checks them). Returns the names created.
 */
export async function createMissingTopics(admin: KafkaAdmin, planned: PlannedTopic[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = planned.filter((t) => !existing.has(t.name));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      replicationFactor: t.replicationFactor,
      configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
    })),
  });
  return missing.map((t) => t.name);
}

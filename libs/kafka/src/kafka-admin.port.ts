/**
 * The cluster operations tablelane asks of Kafka's admin API, in its own types: what apps,
 * the CLI and the scripts may do with the cluster outside consuming and producing. Offsets are
 * decimal strings (Kafka offsets exceed 2^53); `-1` is "none committed". The kafkajs admin
 * fills it as it is; a second client implements these methods and nothing else.
 */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(request: {
    topics: NewTopic[];
    /** Return only once every new partition has a leader. */
    waitForLeaders?: boolean;
  }): Promise<boolean>;
  deleteTopics(request: { topics: string[] }): Promise<void>;
  fetchTopicMetadata(request: { topics: string[] }): Promise<{ topics: TopicMetadata[] }>;
  /** Per partition: the log start (`low`) and end (`high`, next offset to be written). */
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The group's committed offset per partition of each topic. */
  fetchOffsets(request: { groupId: string; topics: string[] }): Promise<GroupTopicOffsets[]>;
  /** Moves an inactive group's committed offsets. */
  setOffsets(request: {
    groupId: string;
    topic: string;
    partitions: { partition: number; offset: string }[];
  }): Promise<void>;
  describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }>;
  deleteGroups(groupIds: string[]): Promise<unknown>;
  describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[] }>;
  describeConfigs(request: {
    resources: { type: number; name: string; configNames?: string[] }[];
    includeSynonyms: boolean;
  }): Promise<{ resources: ConfigResource[] }>;
}

/** The resource type of a topic in describeConfigs (Kafka protocol, ConfigResource.Type.TOPIC). */
export const TOPIC_RESOURCE = 2;

export interface NewTopic {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

export interface TopicMetadata {
  name: string;
  partitions: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[];
}

export interface PartitionOffsets {
  partition: number;
  offset: string;
  high: string;
  low: string;
}

export interface GroupTopicOffsets {
  topic: string;
  partitions: { partition: number; offset: string }[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  members: { memberId: string; clientId: string; clientHost: string }[];
}

export interface ConfigResource {
  resourceName: string;
  errorCode: number;
  configEntries: { configName: string; configValue: string }[];
}

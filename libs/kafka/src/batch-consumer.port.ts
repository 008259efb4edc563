import { TablelaneError } from '@app/config';

/**
 * A consumer-group member that hands over fetched batches one partition at a time and commits
 * only what it is told to: what the sink needs from Kafka to own lanes. Only committed records
 * are delivered (read_committed), offsets are decimal strings, and nothing is committed on the
 * caller's behalf. libs/kafka/src/kafkajs-batch-consumer.ts fills it with kafkajs.
 */
export interface BatchConsumer {
  /** Joins the group on `topic` (from the committed offsets, else the log start) and starts fetching. */
  start(topic: string, handler: BatchHandler, listener: GroupListener): Promise<void>;
  /** Stops fetching these partitions of the topic (all when none are named); the membership stays. */
  pause(topic: string, partitions?: number[]): void;
  resume(topic: string, partitions?: number[]): void;
  /**
   * Commits `offset` as the group's position on the partition: the next offset it reads, so
   * every offset below it is done. Throws GroupMembershipLost when the coordinator no longer counts this
   * member in the generation that owns the partition, and any other error when it cannot be asked.
   */
  commit(topic: string, partition: number, offset: string): Promise<void>;
  /** Leaves the group. */
  stop(): Promise<void>;
}

export type BatchHandler = (batch: FetchedBatch) => Promise<void>;

/** One fetch of one partition. */
export interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly ConsumedRecord[];
  /** Offset of the first record, or null when the fetch held none. */
  firstOffset(): string | null;
  /** Offset of the last entry of the fetch, control records (transaction markers) included. */
  lastOffset(): string;
  /** Everything up to `offset` is taken: the next fetch of the partition starts after it. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the group rebalanced since this fetch: stop taking it. */
  isCurrent(): boolean;
}

export interface ConsumedRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeaders;
  /** Broker or producer timestamp, epoch ms as a decimal string. */
  timestamp: string;
}

/** Kafka record headers as clients hand them over (kafkajs IHeaders, the Java client's Headers). */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** What the group does to this member, as it happens. */
export interface GroupListener {
  /** A rebalance began: any partition may move to another member. */
  rebalancing(): void;
  /** Joined a generation; `assignment` lists this member's partitions per topic. */
  joined(assignment: Record<string, number[]>): void;
  /**
   * A fetch held no records to hand over (only transaction markers or aborted records): the
   * partition is done up to `lastOffset` without a batch.
   */
  skipped(partition: number, lastOffset: string): void;
  /** The client gave up for good: this member consumes nothing more. */
  failed(error: Error): void;
}

export interface BatchConsumerOptions {
  groupId: string;
  /** How long the group waits for a silent member before moving its partitions. */
  sessionTimeoutMs: number;
  /** Partitions handed over at once (each to its own handler call). */
  concurrency: number;
  maxBytesPerPartition?: number;
}

/** The coordinator answered that this member's generation is over (it no longer owns its partitions). */
export class GroupMembershipLost extends TablelaneError {
  readonly code = 'GROUP_MEMBERSHIP_LOST';
  readonly retriable = false;
  constructor(groupId: string, options?: { cause?: unknown }) {
    super(`this member is no longer in the current generation of group ${groupId}`, options);
    this.name = 'GroupMembershipLost';
  }
}

import { TablelaneError, type TablelaneConfig } from '@app/config';

/** The topics tablelane needs, by the job each one does. */
export type TopicRole = 'ingest' | 'changes' | 'dlq' | 'lanes' | 'replays' | 'snapshots';

const KIB = 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Kafka's own default for `max.message.bytes` (1 MiB plus a record batch header). */
export const DEFAULT_TOPIC_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * A dead letter is the original record (up to the limit of the topic it came from) plus the
 * headers that say where it came from and why: source topic, partition and offset, code, stage
 * and a reason the writers cut at 4,000 characters, so at most ~4.5 KB. 64 KiB of headroom
 * covers them many times over, including the record batch framing.
 */
export const DEAD_LETTER_HEADROOM_BYTES = 64 * KIB;

/**
 * With no lane pinned beyond it, 8 lanes let 8 sinks load in parallel (the KEDA maximum of the
 * base manifests); a contract pinning a higher lane raises it.
 */
export const DEFAULT_CHANGES_PARTITIONS = 8;
export const DEFAULT_INGEST_PARTITIONS = 8;
export const DEFAULT_REPLICATION_FACTOR = 3;

export interface TopicPlanOptions {
  ingestPartitions?: number;
  changesPartitions?: number;
  dlqPartitions?: number;
  replicationFactor?: number;
  /** `max.message.bytes` of ingest and changes; the dead-letter topic gets the headroom on top. */
  maxMessageBytes?: number;
  ingestRetentionMs?: number;
  /** Must stay below the sinks' `tombstoneRetentionMs` (docs/architecture.md). */
  changesRetentionMs?: number;
  dlqRetentionMs?: number;
  /** The lane-baseline topic; default `<changes topic>.lanes`, as the router. */
  lanesTopic?: string;
}

export interface PlannedTopic {
  role: TopicRole;
  name: string;
  partitions: number;
  /**
   * The partition count must equal `partitions` (asked for by a flag, or a single-partition
   * topic); otherwise an existing topic may have more, never fewer than `minPartitions`.
   */
  exactPartitions: boolean;
  minPartitions: number;
  replicationFactor: number;
  /** Topic configs set on creation. */
  config: Record<string, string>;
  /** `max.message.bytes` an existing topic must have exactly (only when asked for by a flag). */
  exactMaxMessageBytes?: number;
}

export interface TopicPlan {
  topics: PlannedTopic[];
  /** The minimum gap `retention.ms` of changes must keep below this (the tombstones' memory). */
  tombstoneRetentionMs: number;
  warnings: string[];
}

/** The replay ledger of a dead-letter topic: which dead letters were already re-published. */
export function replayLedgerTopic(dlqTopic: string): string {
  return `${dlqTopic}.replays`;
}

export function laneBaselineTopic(changesTopic: string, override?: string): string {
  return override ?? `${changesTopic}.lanes`;
}

/** The progress of table snapshots (`tablelane snapshot`) onto a changes topic's lanes. */
export function snapshotProgressTopic(changesTopic: string): string {
  return `${changesTopic}.snapshots`;
}

/** Turns the contracts, the flags and the cluster's size into the topics to create or check. */
export function planTopics(config: TablelaneConfig, options: TopicPlanOptions, brokers: number): TopicPlan {
  const warnings: string[] = [];
  const asked = options.replicationFactor ?? DEFAULT_REPLICATION_FACTOR;
  const replicationFactor = Math.min(asked, brokers);
  if (replicationFactor < asked)
    warnings.push(
      `replication factor ${asked} capped to ${replicationFactor}: the cluster has only ${brokers} broker(s); ` +
        `a broker loss ${replicationFactor === 1 ? 'loses data' : 'stops writes'} until you raise it`,
    );
  // acks=all waits for min.insync.replicas: one replica may be down without refusing writes.
  const minInsync = String(Math.max(1, replicationFactor - 1));
  const baseBytes = options.maxMessageBytes ?? DEFAULT_TOPIC_MAX_MESSAGE_BYTES;
  const lanesNeeded = Math.max(0, ...config.tables.map((t) => (t.lane ?? -1) + 1));
  const changesPartitions = options.changesPartitions ?? Math.max(DEFAULT_CHANGES_PARTITIONS, lanesNeeded);
  if (changesPartitions < lanesNeeded)
    throw new TopicPlanError(
      `--changes-partitions ${changesPartitions} is too few: a contract pins lane ${lanesNeeded - 1}`,
    );
  const tombstoneRetentionMs = config.warehouse.tombstoneRetentionMs;
  // Changes older than the tombstones' memory could resurrect deleted rows: stay well below it.
  const changesRetentionMs = options.changesRetentionMs ?? Math.min(3 * DAY_MS, tombstoneRetentionMs / 2);
  const data = (
    role: TopicRole,
    name: string,
    partitions: number,
    exact: boolean,
    min: number,
    bytes: number,
    retentionMs: number,
  ): PlannedTopic => ({
    role,
    name,
    partitions,
    exactPartitions: exact,
    minPartitions: min,
    replicationFactor,
    config: {
      'cleanup.policy': 'delete',
      'retention.ms': String(retentionMs),
      'max.message.bytes': String(bytes),
      'min.insync.replicas': minInsync,
    },
    exactMaxMessageBytes: options.maxMessageBytes === undefined || role === 'dlq' ? undefined : bytes,
  });
  const compacted = (role: TopicRole, name: string): PlannedTopic => ({
    role,
    name,
    partitions: 1,
    exactPartitions: true,
    minPartitions: 1,
    replicationFactor,
    config: { 'cleanup.policy': 'compact', 'min.insync.replicas': minInsync },
  });
  const { topics } = config;
  return {
    tombstoneRetentionMs,
    warnings,
    topics: [
      data(
        'ingest',
        topics.ingest,
        options.ingestPartitions ?? DEFAULT_INGEST_PARTITIONS,
        options.ingestPartitions !== undefined,
        1,
        baseBytes,
        options.ingestRetentionMs ?? 7 * DAY_MS,
      ),
      data(
        'changes',
        topics.changes,
        changesPartitions,
        options.changesPartitions !== undefined,
        Math.max(1, lanesNeeded),
        baseBytes,
        changesRetentionMs,
      ),
      data(
        'dlq',
        topics.dlq,
        options.dlqPartitions ?? 1,
        options.dlqPartitions !== undefined,
        1,
        baseBytes + DEAD_LETTER_HEADROOM_BYTES,
        // Long enough to notice, fix the contract and replay.
        options.dlqRetentionMs ?? 30 * DAY_MS,
      ),
      compacted('lanes', laneBaselineTopic(topics.changes, options.lanesTopic)),
      compacted('replays', replayLedgerTopic(topics.dlq)),
      compacted('snapshots', snapshotProgressTopic(topics.changes)),
    ],
  };
}

/** Flags that cannot make a plan (e.g. fewer lanes than the contracts pin). Retrying cannot help. */
export class TopicPlanError extends TablelaneError {
  readonly code = 'TOPIC_PLAN_INVALID';
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'TopicPlanError';
  }
}

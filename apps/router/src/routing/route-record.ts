import type { TablelaneConfig, TopicSettings } from '@app/config';
import {
  ChangeRejected,
  DLQ_HEADERS,
  prepareChange,
  type TransformsByTable,
  type WarehouseValueRules,
} from '@app/contracts';
import type { PipelineOutput, PipelineRecord } from '@app/kafka';
import { decodeIngestValue, type AvroDecoder } from './decode-ingest';

/** Kafka headers are small by convention; a long reason is cut, the code stays exact. */
const MAX_MESSAGE_HEADER = 1000;

export interface RouteContext {
  config: TablelaneConfig;
  transforms: TransformsByTable;
  /** What the configured warehouse loads as sent. */
  rules: WarehouseValueRules;
  topics: TopicSettings;
  /** Lane of every declared table, from the lane baseline. */
  lanes: ReadonlyMap<string, number>;
  dlqPartitions: number;
}

export type RouteResult =
  | { kind: 'change'; table: string; output: PipelineOutput }
  | { kind: 'dead'; error: ChangeRejected; output: PipelineOutput }
  | { kind: 'filtered'; table: string; reason: string };

/**
 * The router's decision for one ingest record: one change on its table's lane, a dead letter
 * with the reason, or nothing when a table's filter drops it. Errors other than bad data
 * (the registry is down) are thrown, so the batch is retried rather than dead-lettered.
 */
export async function routeRecord(
  ctx: RouteContext,
  record: PipelineRecord,
  avro: AvroDecoder,
): Promise<RouteResult> {
  try {
    return routeDecoded(ctx, await decodeIngestValue(record.value, avro));
  } catch (error) {
    if (error instanceof ChangeRejected)
      return { kind: 'dead', error, output: deadLetter(ctx, record, error) };
    throw error;
  }
}

/** The decision for a decoded record. Pure: no I/O. Throws ChangeRejected for bad data. */
export function routeDecoded(ctx: RouteContext, decoded: unknown): RouteResult {
  const prepared = prepareChange(ctx.config, decoded, ctx.transforms, ctx.rules);
  if (prepared.kind === 'filtered') return prepared;
  const { event } = prepared;
  // A table's lane comes from the baseline, never a partitioner: the key (the table name)
  // keeps Java tooling able to check it, the explicit partition decides it.
  return {
    kind: 'change',
    table: event.table,
    output: {
      topic: ctx.topics.changes,
      partition: ctx.lanes.get(event.table)!,
      key: event.table,
      value: JSON.stringify(event),
    },
  };
}

/** A dead letter keeps the original bytes and headers, and says where they came from and why. */
export function deadLetter(ctx: RouteContext, record: PipelineRecord, error: ChangeRejected): PipelineOutput {
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (typeof value === 'string' || Buffer.isBuffer(value)) headers[name] = value;
  }
  Object.assign(headers, {
    [DLQ_HEADERS.sourceTopic]: record.topic,
    [DLQ_HEADERS.sourcePartition]: String(record.partition),
    [DLQ_HEADERS.sourceOffset]: record.offset,
    [DLQ_HEADERS.errorCode]: error.code,
    [DLQ_HEADERS.errorMessage]: error.message.slice(0, MAX_MESSAGE_HEADER),
    [DLQ_HEADERS.stage]: 'router',
  });
  return {
    topic: ctx.topics.dlq,
    partition: record.partition % ctx.dlqPartitions,
    key: record.key,
    value: record.value,
    headers,
  };
}

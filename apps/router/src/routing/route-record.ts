import type { TablelaneConfig, TopicSettings } from '@app/config';
import {
  ChangeRejected,
  deadLetterHeaders,
  prepareChange,
  type DeadLetterReason,
  type TransformsByTable,
  type WarehouseValueRules,
} from '@app/contracts';
import type { PipelineOutput, PipelineRecord } from '@app/kafka';
import { decodeIngestValue, type AvroDecoder } from './decode-ingest';
import { cdcChangeOf, type CdcRouting } from './route-cdc';

export type { DeadLetterReason };

export interface RouteContext {
  config: TablelaneConfig;
  transforms: TransformsByTable;
  /** What the configured warehouse loads as sent. */
  rules: WarehouseValueRules;
  topics: TopicSettings;
  /** Lane of every declared table, from the lane baseline. */
  lanes: ReadonlyMap<string, number>;
  dlqPartitions: number;
  /** CDC feeds' topics, read besides the ingest topic; none when not given. */
  cdc?: CdcRouting;
}

export type RouteResult =
  | { kind: 'change'; table: string; output: PipelineOutput }
  | { kind: 'dead'; error: DeadLetterReason; output: PipelineOutput }
  | { kind: 'filtered'; table: string; reason: string };

/**
 * The router's decision for one ingest record: one change on its table's lane, a dead letter
 * with the reason, or nothing when a table's filter drops it. Only an error that says a
 * retry helps (the registry is down) is thrown, so the batch is retried; any other failure
 * while handling the record, a bug included, is that record's dead letter, so one record can
 * never stop its partition.
 */
export async function routeRecord(
  ctx: RouteContext,
  record: PipelineRecord,
  avro: AvroDecoder,
): Promise<RouteResult> {
  try {
    const feed = ctx.cdc?.feedOf(record.topic);
    if (!feed) return routeDecoded(ctx, await decodeIngestValue(record.value, avro));
    const cdc = await cdcChangeOf(ctx.config, feed, record, ctx.cdc!.avro);
    if (cdc.kind === 'skipped') return { kind: 'filtered', table: record.topic, reason: cdc.reason };
    return routeDecoded(ctx, cdc.event);
  } catch (error) {
    if (isRetriable(error)) throw error;
    const reason = reasonOf(error);
    return { kind: 'dead', error: reason, output: deadLetter(ctx, record, reason) };
  }
}

const isRetriable = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;

function reasonOf(error: unknown): DeadLetterReason {
  if (error instanceof ChangeRejected) return { code: error.code, message: error.message };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: 'ROUTER_FAILED', message: `the router failed on this record: ${message}` };
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
export function deadLetter(
  ctx: RouteContext,
  record: PipelineRecord,
  error: DeadLetterReason,
): PipelineOutput {
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (typeof value === 'string' || Buffer.isBuffer(value)) headers[name] = value;
  }
  Object.assign(headers, deadLetterHeaders(record, error, 'router'));
  return {
    topic: ctx.topics.dlq,
    partition: record.partition % ctx.dlqPartitions,
    key: record.key,
    value: record.value,
    headers,
  };
}

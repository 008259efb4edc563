import { bindingOf, feedOfTopic, findTable, type CdcFeed, type TablelaneConfig } from '@app/config';
import {
  connectSchemaFromAvro,
  mapDebeziumRecord,
  parseExactJson,
  type ChangeEvent,
  type ConnectSchema,
} from '@app/contracts';
import { looksAvroFramed, type DecodedAvro, type PipelineRecord } from '@app/kafka';

/** The part of the framed-Avro decoder CDC routing needs; a port so routing is testable alone. */
export interface CdcAvroDecoder {
  decode(bytes: Buffer): Promise<DecodedAvro>;
}

/** What the router needs to read CDC feeds: which feed reads a topic, and the Avro decoder. */
export interface CdcRouting {
  feedOf(topic: string): CdcFeed | undefined;
  avro: CdcAvroDecoder;
}

/** CDC routing for the configured feeds; a topic's feed is looked up once. */
export function cdcRouting(config: TablelaneConfig, avro: CdcAvroDecoder): CdcRouting {
  const feeds = new Map<string, CdcFeed | undefined>();
  return {
    avro,
    feedOf(topic) {
      if (!feeds.has(topic)) feeds.set(topic, feedOfTopic(config.cdc, topic));
      return feeds.get(topic);
    },
  };
}

export type CdcChange = { kind: 'change'; event: ChangeEvent } | { kind: 'skipped'; reason: string };

/**
 * The change one record of a CDC feed's topic carries, in tablelane's own form, or nothing
 * (tombstones, the first half of a primary-key move, heartbeats). Throws ChangeRejected for
 * a malformed envelope, which the caller dead-letters like any other bad record; the change
 * itself is validated against its contract as every change is.
 */
export async function cdcChangeOf(
  config: TablelaneConfig,
  feed: CdcFeed,
  record: PipelineRecord,
  avro: CdcAvroDecoder,
): Promise<CdcChange> {
  const key = await decodePart(record.key, avro);
  const value = await decodePart(record.value, avro);
  const outcome = mapDebeziumRecord(
    {
      topic: record.topic,
      key: key?.value ?? null,
      value: value?.value ?? null,
      valueSchema: value?.schema,
      keySchema: key?.schema,
      headers: textHeaders(record.headers),
    },
    (source) => {
      const binding = bindingOf(feed, source);
      if (!binding) return undefined;
      const contract = findTable(config, binding.table)!;
      return {
        contract,
        unavailableValue: feed.unavailableValue,
        undeclaredColumns: binding.undeclaredColumns,
      };
    },
  );
  if (outcome.kind === 'skipped') return outcome;
  // One source change is one tablelane change (a move is one upsert that names the old key).
  return { kind: 'change', event: outcome.events[0]! };
}

/** A key or value in either converter's form: JSON text, or Confluent-framed Avro with its schema. */
async function decodePart(
  bytes: Buffer | null,
  avro: CdcAvroDecoder,
): Promise<{ value: unknown; schema?: ConnectSchema } | undefined> {
  if (bytes === null || bytes.length === 0) return undefined;
  if (looksAvroFramed(bytes)) {
    const decoded = await avro.decode(bytes);
    return { value: decoded.value, schema: connectSchemaFromAvro(decoded.schema) };
  }
  // Exact: Debezium writes int64 values and log positions as JSON numbers beyond 2^53.
  return { value: parseExactJson(bytes) };
}

/** Kafka headers as text; Debezium's (`__debezium.oldkey`, …) are UTF-8 JSON. */
function textHeaders(headers: PipelineRecord['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = first === undefined ? undefined : first.toString();
  }
  return out;
}

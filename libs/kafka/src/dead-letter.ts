import { ChangeRejected, DLQ_HEADERS } from '@app/contracts';
import type { RecordHeaders } from './batch-consumer.port';
import { looksAvroFramed } from './avro-change-codec';
import type { RangeRecord } from './topic-range-reader';

/** Header of a replayed record: the dead letter it re-publishes, `<dlq topic>:<partition>:<offset>`. */
export const REPLAY_OF_HEADER = 'tablelane.replay.of';

/** A record of the dead-letter topic with what its headers and body say. */
export interface DeadLetter {
  partition: number;
  offset: bigint;
  /** When it was dead-lettered, epoch ms. */
  timestamp: number;
  code: string;
  stage: string;
  reason: string;
  source: { topic?: string; partition?: number; offset?: string };
  /** The table the change names, when its body decodes; undefined when it does not. */
  table?: string;
  /** Set when this dead letter is itself a replayed record that was refused again. */
  replayOf?: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeaders;
}

/** Finds the table a body names; throws only when the registry cannot be asked. */
export type TableOfBody = (value: Buffer) => Promise<string | undefined>;

export async function toDeadLetter(record: RangeRecord, tableOf: TableOfBody): Promise<DeadLetter> {
  const header = (name: string) => headerText(record.headers[name]);
  const sourcePartition = header(DLQ_HEADERS.sourcePartition);
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    code: header(DLQ_HEADERS.errorCode) ?? 'UNKNOWN',
    stage: header(DLQ_HEADERS.stage) ?? 'unknown',
    reason: header(DLQ_HEADERS.errorMessage) ?? '',
    source: {
      topic: header(DLQ_HEADERS.sourceTopic),
      partition: sourcePartition === undefined ? undefined : Number(sourcePartition),
      offset: header(DLQ_HEADERS.sourceOffset),
    },
    table: record.value ? await tableOf(record.value) : undefined,
    replayOf: header(REPLAY_OF_HEADER),
    key: record.key,
    value: record.value,
    headers: record.headers,
  };
}

/**
 * The table of a JSON or Avro change body. A body that does not decode (the reason it may have
 * been dead-lettered) has no table; a registry that cannot be asked is thrown, so a filter by
 * table never silently skips a dead letter it could not read.
 */
export function tableOfBody(decodeAvro: (bytes: Buffer) => Promise<Record<string, unknown>>): TableOfBody {
  return async (value) => {
    let event: unknown;
    try {
      event = looksAvroFramed(value) ? await decodeAvro(value) : JSON.parse(value.toString('utf8'));
    } catch (error) {
      if (error instanceof ChangeRejected || error instanceof SyntaxError || error instanceof RangeError)
        return undefined;
      throw error;
    }
    const table = (event as { table?: unknown } | null)?.table;
    return typeof table === 'string' ? table : undefined;
  };
}

export interface DeadLetterFilter {
  codes?: string[];
  tables?: string[];
  stages?: string[];
  /** Dead-lettered at or after, epoch ms. */
  since?: number;
  /** Dead-lettered before, epoch ms. */
  until?: number;
}

export function matchesFilter(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.codes && !filter.codes.includes(letter.code)) return false;
  if (filter.stages && !filter.stages.includes(letter.stage)) return false;
  if (filter.tables && (letter.table === undefined || !filter.tables.includes(letter.table))) return false;
  if (filter.since !== undefined && letter.timestamp < filter.since) return false;
  if (filter.until !== undefined && letter.timestamp >= filter.until) return false;
  return true;
}

/** The key of a dead letter in the replay ledger. */
export function deadLetterId(dlqTopic: string, letter: Pick<DeadLetter, 'partition' | 'offset'>): string {
  return `${dlqTopic}:${letter.partition}:${letter.offset}`;
}

export interface DeadLetterGroup {
  code: string;
  table: string;
  stage: string;
  count: number;
  /** How many of them were already replayed. */
  replayed: number;
  first: string;
  last: string;
  example: string;
}

/** Counts dead letters by code, table and stage, oldest group first. */
export function summarise(letters: Iterable<DeadLetter & { replayed: boolean }>): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetterGroup & { firstMs: number }>();
  for (const letter of letters) {
    const table = letter.table ?? '(undecodable)';
    const key = JSON.stringify([letter.code, table, letter.stage]);
    const at = new Date(letter.timestamp).toISOString();
    const group = groups.get(key) ?? {
      code: letter.code,
      table,
      stage: letter.stage,
      count: 0,
      replayed: 0,
      first: at,
      last: at,
      firstMs: letter.timestamp,
      example: letter.reason.slice(0, 120),
    };
    group.count++;
    if (letter.replayed) group.replayed++;
    if (letter.timestamp < group.firstMs) [group.first, group.firstMs] = [at, letter.timestamp];
    if (at > group.last) group.last = at;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.firstMs - b.firstMs).map(({ firstMs: _, ...group }) => group);
}

function headerText(value: RecordHeaders[string]): string | undefined {
  const one = Array.isArray(value) ? value[value.length - 1] : value;
  return one === undefined ? undefined : one.toString();
}

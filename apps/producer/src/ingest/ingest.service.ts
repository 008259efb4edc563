import type { TablelaneConfig } from '@app/config';
import {
  ChangeRejected,
  ingestKey,
  prepareChange,
  type ChangeIssue,
  type TransformsByTable,
} from '@app/contracts';
import { inScope, type ApiKeyEntry } from '../auth/api-keys';
import type { BodyFormat } from '../http/body-format';
import type { IngestMessage, IngestPublisher } from './ingest-publisher';
import { parseBatch, type BatchError } from './parse-batch';

export interface IngestReply {
  status: 202 | 400 | 403 | 503;
  body: Record<string, unknown>;
}

/**
 * The gateway's decisions for one authenticated request, apart from HTTP: a batch is
 * accepted whole or not at all, so a client can retry it as a unit.
 */
export class IngestService {
  constructor(
    private readonly config: TablelaneConfig,
    private readonly transforms: TransformsByTable,
    private readonly publisher: IngestPublisher,
  ) {}

  async ingest(key: ApiKeyEntry, body: Buffer, format: BodyFormat): Promise<IngestReply> {
    const parsed = parseBatch(body, format);
    if (!parsed.ok) return invalid(parsed.errors);
    const { entries } = parsed;
    if (entries.length === 0)
      return invalid([
        { index: 0, issues: [{ code: 'NOT_AN_OBJECT', message: 'the batch holds no change events' }] },
      ]);

    // Authorization before validation: a key learns nothing about tables outside its scope.
    const forbidden = entries.flatMap(({ event, index }) => {
      const table = (event as { table?: unknown } | null)?.table;
      return typeof table === 'string' && !inScope(key, table) ? [{ index, table }] : [];
    });
    if (forbidden.length > 0) {
      return {
        status: 403,
        body: {
          error: 'TABLE_NOT_IN_SCOPE',
          message: `API key ${key.name} may not write these tables`,
          retriable: false,
          errors: forbidden,
        },
      };
    }

    const errors: BatchError[] = [];
    const messages: IngestMessage[] = [];
    entries.forEach(({ event, index }) => {
      try {
        const prepared = prepareChange(this.config, event, this.transforms);
        messages.push({
          key: ingestKey(this.config, prepared),
          value: JSON.stringify(event),
          headers: { 'tablelane.source': `http:${key.name}` },
        });
      } catch (error) {
        if (!(error instanceof ChangeRejected)) throw error;
        errors.push({ index, issues: error.issues });
      }
    });
    if (errors.length > 0) return invalid(errors);

    try {
      await this.publisher.publish(messages);
    } catch (error) {
      return {
        status: 503,
        body: {
          error: 'KAFKA_UNAVAILABLE',
          retriable: true,
          message: `Kafka did not acknowledge the batch: ${(error as Error).message}; retry it`,
        },
      };
    }
    return { status: 202, body: { accepted: messages.length } };
  }
}

function invalid(errors: BatchError[]): IngestReply {
  const count = errors.length;
  return {
    status: 400,
    body: {
      error: 'INVALID_CHANGES',
      message: `${count} change event${count === 1 ? '' : 's'} rejected; nothing was accepted`,
      retriable: false,
      errors: errors.map((e) => ({ index: e.index, issues: e.issues.map((i: ChangeIssue) => ({ ...i })) })),
    },
  };
}

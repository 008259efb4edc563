import { createHash } from 'node:crypto';
import { TablelaneError } from '@app/config';
import { DLQ_HEADERS, PAYLOAD_HEADERS } from '@app/contracts';
import { recordSizeUpperBound, type PipelineOutput, type PipelineRecord } from '@app/kafka';
import type { ObjectStore } from '@app/staging';
import type { DeadLetterReason } from './route-record';

/** Headers of a dead letter whose payload was too big for the dead-letter topic. */
export { PAYLOAD_HEADERS };

/** Storing a payload failed; the store may answer again, so the batch is retried. */
export class PayloadStoreUnavailable extends TablelaneError {
  readonly code = 'PAYLOAD_STORE_UNAVAILABLE';
  readonly retriable = true;
  constructor(key: string, cause: unknown) {
    super(`cannot store the dead letter payload ${key}: ${(cause as Error).message}`, { cause });
    this.name = 'PayloadStoreUnavailable';
  }
}

export interface FitToTopicsOptions {
  /** Record bytes a single produce request may carry per partition of the topic. */
  budgetOf(topic: string): number;
  dlqTopic: string;
  store: Pick<ObjectStore, 'put' | 'uri'>;
  /** The staging prefix; payloads go under `<prefix>/dead-letters/`. */
  prefix: string;
  deadLetter(record: PipelineRecord, reason: DeadLetterReason): PipelineOutput;
}

/** The deterministic key of a moved payload: a retried batch overwrites the same object. */
export function deadLetterPayloadKey(prefix: string, record: PipelineRecord): string {
  return `${prefix.replace(/\/+$/, '')}/dead-letters/${record.topic}/${record.partition}/${record.offset}`;
}

/**
 * Makes every output of a record fit its topic's `max.message.bytes`, so the broker never
 * refuses a produce request and stalls the partition. A change too big for the changes topic
 * becomes a dead letter; a dead letter too big for the dead-letter topic keeps its headers
 * and moves its payload to S3 (key, SHA-256 and size in headers), so nothing is dropped.
 */
export class FitToTopics {
  constructor(private readonly options: FitToTopicsOptions) {}

  async fitOutput(record: PipelineRecord, output: PipelineOutput): Promise<PipelineOutput> {
    if (this.fits(output)) return output;
    const letter =
      output.topic === this.options.dlqTopic
        ? output
        : this.options.deadLetter(record, {
            code: 'RECORD_TOO_LARGE',
            message: `the change takes ${recordSizeUpperBound(output)} bytes; a produce request to ${output.topic} carries at most ${this.options.budgetOf(output.topic)} (its max.message.bytes, less overhead)`,
          });
    return this.fits(letter) ? letter : this.withoutPayload(record, letter);
  }

  /**
   * The smallest form of a dead letter: payload in S3 and only tablelane's headers, for a
   * record the broker refused although it was sized to fit.
   */
  async minimal(record: PipelineRecord, letter: PipelineOutput): Promise<PipelineOutput> {
    return stripForeignHeaders(await this.withoutPayload(record, letter));
  }

  private fits(output: PipelineOutput): boolean {
    return recordSizeUpperBound(output) <= this.options.budgetOf(output.topic);
  }

  private async withoutPayload(record: PipelineRecord, letter: PipelineOutput): Promise<PipelineOutput> {
    const payload = toBuffer(letter.value);
    const key = deadLetterPayloadKey(this.options.prefix, record);
    try {
      await this.options.store.put(key, payload);
    } catch (error) {
      throw new PayloadStoreUnavailable(key, error);
    }
    const moved: PipelineOutput = {
      ...letter,
      value: null,
      headers: {
        ...letter.headers,
        [PAYLOAD_HEADERS.s3Key]: key,
        [PAYLOAD_HEADERS.s3Uri]: this.options.store.uri(key),
        [PAYLOAD_HEADERS.sha256]: createHash('sha256').update(payload).digest('hex'),
        [PAYLOAD_HEADERS.size]: String(payload.length),
      },
    };
    // The producer's own headers can be what is too big: keep only ours then.
    return this.fits(moved) ? moved : stripForeignHeaders(moved);
  }
}

function toBuffer(value: string | Buffer | null): Buffer {
  if (value === null) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value) : value;
}

const OURS = new Set<string>([...Object.values(DLQ_HEADERS), ...Object.values(PAYLOAD_HEADERS)]);

function stripForeignHeaders(letter: PipelineOutput): PipelineOutput {
  const headers: Record<string, string | Buffer> = {};
  let dropped = 0;
  for (const [name, value] of Object.entries(letter.headers ?? {})) {
    if (OURS.has(name)) headers[name] = value;
    else dropped++;
  }
  if (dropped > 0) headers[PAYLOAD_HEADERS.droppedHeaders] = String(dropped);
  return { ...letter, headers };
}

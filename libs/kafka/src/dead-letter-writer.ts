import { deadLetterHeaders, PAYLOAD_HEADERS, type DeadLetterReason } from '@app/contracts';
import type { Producer } from 'kafkajs';
import { kafkajsOf, type KafkaClient } from './kafka-client';
import type { KafkaAdmin } from './kafka-admin.port';
import { messageBudget, readMaxMessageBytes, recordSizeUpperBound, splitToFit } from './message-limits';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface DeadLetterEntry {
  source: DeadLetterSource;
  reason: DeadLetterReason;
}

/**
 * Writes refused changes to the dead-letter topic outside any transaction (the sink's side;
 * the router writes its dead letters inside its routing transaction), with the one header set
 * of deadLetterHeaders. Idempotent and unboundedly retried, so a send resolves only once the
 * letters are written, and the lane moves past them only then.
 */
export class DeadLetterWriter {
  private constructor(
    private readonly producer: Producer,
    readonly topic: string,
    private readonly maxMessageBytes: number,
  ) {}

  /** Connects, reading the topic's `max.message.bytes` once so letters are split to its limit. */
  static async connect(kafka: KafkaClient, admin: KafkaAdmin, topic: string): Promise<DeadLetterWriter> {
    const maxMessageBytes = (await readMaxMessageBytes(admin, [topic])).get(topic)!;
    const producer = kafkajsOf(kafka).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 10_000 },
    });
    await producer.connect();
    return new DeadLetterWriter(producer, topic, maxMessageBytes);
  }

  send(letters: readonly DeadLetterEntry[], stage: string): Promise<void> {
    return sendDeadLetters(this.producer, this.topic, letters, stage, this.maxMessageBytes);
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/**
 * Sends refused changes with their original bytes and headers that say where they came from
 * and why, split into sends that fit `maxMessageBytes` (the dead-letter topic's limit), so a
 * long list never has the broker refuse the request and stall the lane. A letter too big even
 * alone goes without its value: the change stays readable at its source offset.
 */
export async function sendDeadLetters(
  producer: Pick<Producer, 'send'>,
  dlqTopic: string,
  letters: readonly DeadLetterEntry[],
  stage: string,
  maxMessageBytes: number,
): Promise<void> {
  if (letters.length === 0) return;
  const budget = messageBudget(maxMessageBytes);
  const messages = letters.map(({ source, reason }) => {
    const message = {
      topic: dlqTopic,
      key: source.key,
      value: source.value,
      headers: deadLetterHeaders(source, reason, stage),
    };
    if (recordSizeUpperBound(message) <= budget) return message;
    return {
      ...message,
      value: null,
      headers: { ...message.headers, [PAYLOAD_HEADERS.size]: String(source.value?.length ?? 0) },
    };
  });
  for (const group of splitToFit(messages, () => budget)) {
    await producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: group.map(({ key, value, headers }) => ({ key, value, headers })),
    });
  }
}

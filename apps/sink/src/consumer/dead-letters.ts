import { deadLetterHeaders, PAYLOAD_HEADERS, type DeadLetterReason } from '@app/contracts';
import { DEFAULT_MAX_MESSAGE_BYTES, messageBudget, recordSizeUpperBound, splitToFit } from '@app/kafka';
import type { Producer } from 'kafkajs';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type { DeadLetterReason };

/**
 * Sends refused changes to the dead-letter topic with their original bytes and headers that
 * say where they came from and why. Awaited before the lane moves past them, so none is lost.
 * Split into sends that fit `maxMessageBytes` (the dead-letter topic's `max.message.bytes`),
 * so a long list never has the broker refuse the request and stall the lane. A letter too
 * big even alone goes without its value: the change stays readable at its source offset.
 */
export async function sendDeadLetters(
  producer: Producer,
  dlqTopic: string,
  letters: { source: DeadLetterSource; reason: DeadLetterReason }[],
  stage: string,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
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

import { DLQ_HEADERS } from '@app/contracts';
import type { Producer } from 'kafkajs';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** Why a change was refused: a tablelane error code or the warehouse's SQLSTATE, and a message. */
export interface DeadLetterReason {
  code: string;
  message: string;
}

/**
 * Sends refused changes to the dead-letter topic with their original bytes and headers that
 * say where they came from and why. Awaited before the lane moves past them, so none is lost.
 */
export async function sendDeadLetters(
  producer: Producer,
  dlqTopic: string,
  letters: { source: DeadLetterSource; reason: DeadLetterReason }[],
  stage: string,
): Promise<void> {
  if (letters.length === 0) return;
  await producer.send({
    topic: dlqTopic,
    acks: -1,
    messages: letters.map(({ source, reason }) => ({
      key: source.key,
      value: source.value,
      headers: {
        [DLQ_HEADERS.sourceTopic]: source.topic,
        [DLQ_HEADERS.sourcePartition]: String(source.partition),
        [DLQ_HEADERS.sourceOffset]: source.offset,
        [DLQ_HEADERS.errorCode]: reason.code,
        [DLQ_HEADERS.errorMessage]: reason.message.slice(0, 4000),
        [DLQ_HEADERS.stage]: stage,
      },
    })),
  });
}

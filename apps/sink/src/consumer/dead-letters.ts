import type { ChangeRejected } from '@app/contracts';
import { DLQ_HEADERS } from '@app/contracts';
import type { Producer } from 'kafkajs';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Sends a refused change to the dead-letter topic with its original bytes and headers that
 * say where it came from and why. Awaited before the lane moves past it, so it is never lost.
 */
export async function sendDeadLetter(
  producer: Producer,
  dlqTopic: string,
  source: DeadLetterSource,
  rejection: ChangeRejected,
  stage: string,
): Promise<void> {
  await producer.send({
    topic: dlqTopic,
    acks: -1,
    messages: [
      {
        key: source.key,
        value: source.value,
        headers: {
          [DLQ_HEADERS.sourceTopic]: source.topic,
          [DLQ_HEADERS.sourcePartition]: String(source.partition),
          [DLQ_HEADERS.sourceOffset]: source.offset,
          [DLQ_HEADERS.errorCode]: rejection.code,
          [DLQ_HEADERS.errorMessage]: rejection.message.slice(0, 4000),
          [DLQ_HEADERS.stage]: stage,
        },
      },
    ],
  });
}

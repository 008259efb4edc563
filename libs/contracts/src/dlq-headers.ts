/** Headers of a record in the dead-letter topic: where it came from and why it was refused. */
export const DLQ_HEADERS = {
  sourceTopic: 'tablelane.source.topic',
  sourcePartition: 'tablelane.source.partition',
  sourceOffset: 'tablelane.source.offset',
  errorCode: 'tablelane.error.code',
  errorMessage: 'tablelane.error.message',
  stage: 'tablelane.stage',
} as const;

/** Headers of a dead letter whose payload did not fit the topic: where it went instead. */
export const PAYLOAD_HEADERS = {
  s3Key: 'tablelane.payload.s3key',
  s3Uri: 'tablelane.payload.s3uri',
  sha256: 'tablelane.payload.sha256',
  size: 'tablelane.payload.size',
  droppedHeaders: 'tablelane.headers.dropped',
} as const;

/** Why a change was refused: a tablelane error code or the warehouse's SQLSTATE, and a message. */
export interface DeadLetterReason {
  code: string;
  message: string;
}

/** Kafka headers are small by convention: a long reason is cut, the code stays exact. */
export const MAX_REASON_CHARS = 1000;

/**
 * The headers every dead letter carries, whichever app refused it: one header set and one
 * truncation rule, so `tablelane dlq ls` and replay read router and sink letters alike.
 */
export function deadLetterHeaders(
  source: { topic: string; partition: number; offset: string },
  reason: DeadLetterReason,
  stage: string,
): Record<string, string> {
  return {
    [DLQ_HEADERS.sourceTopic]: source.topic,
    [DLQ_HEADERS.sourcePartition]: String(source.partition),
    [DLQ_HEADERS.sourceOffset]: source.offset,
    [DLQ_HEADERS.errorCode]: reason.code,
    [DLQ_HEADERS.errorMessage]: reason.message.slice(0, MAX_REASON_CHARS),
    [DLQ_HEADERS.stage]: stage,
  };
}

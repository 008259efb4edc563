/** Headers of a record in the dead-letter topic: where it came from and why it was refused. */
export const DLQ_HEADERS = {
  sourceTopic: 'tablelane.source.topic',
  sourcePartition: 'tablelane.source.partition',
  sourceOffset: 'tablelane.source.offset',
  errorCode: 'tablelane.error.code',
  errorMessage: 'tablelane.error.message',
  stage: 'tablelane.stage',
} as const;

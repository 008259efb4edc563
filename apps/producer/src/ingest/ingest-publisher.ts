import { IngestProducer, type IngestMessage, type KafkaClient } from '@app/kafka';

export type { IngestMessage };

/** Where accepted changes go; resolves only once Kafka acknowledged every message. */
export interface IngestPublisher {
  publish(messages: IngestMessage[]): Promise<void>;
  isReady(): boolean;
}

/** The gateway's publisher: the ingest producer every client of the ingest topic shares. */
export class KafkaIngestPublisher extends IngestProducer implements IngestPublisher {
  constructor(kafka: KafkaClient, topic: string) {
    super(kafka, topic);
  }
}

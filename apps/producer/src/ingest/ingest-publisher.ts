import type { Kafka, Producer } from 'kafkajs';

export interface IngestMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Where accepted changes go; resolves only once Kafka acknowledged every message. */
export interface IngestPublisher {
  publish(messages: IngestMessage[]): Promise<void>;
  isReady(): boolean;
}

export const INGEST_PUBLISHER = Symbol('INGEST_PUBLISHER');

/**
 * An idempotent producer with acks from all in-sync replicas: a retried send is written
 * once, and an acknowledged change survives the loss of the leader.
 */
export class KafkaIngestPublisher implements IngestPublisher {
  private readonly producer: Producer;
  private ready = false;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => (this.ready = false));
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.ready = true;
  }

  async publish(messages: IngestMessage[]): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  isReady(): boolean {
    return this.ready;
  }

  async disconnect(): Promise<void> {
    this.ready = false;
    await this.producer.disconnect();
  }
}

import type { Message, Producer } from 'kafkajs';
import { checkConnection, kafkajsOf, type KafkaClient } from './kafka-client';
import { recordSizeUpperBound } from './message-limits';
import { SendCoalescer } from './send-coalescer';

/** One change as it goes onto the ingest topic. */
export type IngestMessage = Pick<Message, 'key' | 'value' | 'headers'>;

/**
 * The one producer of the ingest topic, for every client that writes it (the SDK and the HTTP
 * gateway): idempotent, so a send retried after a lost acknowledgement is written once, and
 * acknowledged by all in-sync replicas, so an accepted change survives the loss of the leader.
 * It never creates the topic: partition counts are the operator's (`tablelane topics create`).
 */
/**
 * What one coalesced produce request carries at most: well under the broker's default 1 MiB
 * per partition batch even when every message lands on one partition.
 */
const GROUP_LIMITS = { maxMessages: 2_000, maxBytes: 512 * 1024 };

export class IngestProducer {
  private readonly producer: Producer;
  private readonly sends: SendCoalescer<IngestMessage>;
  private connecting?: Promise<void>;
  private ready = false;

  constructor(
    private readonly kafka: KafkaClient,
    readonly topic: string,
  ) {
    this.producer = kafkajsOf(kafka).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => (this.ready = false));
    // Concurrent publishes (the gateway's requests, an SDK's parallel sends) share produce requests.
    this.sends = new SendCoalescer(
      (messages) => this.producer.send({ topic: this.topic, acks: -1, messages }).then(() => undefined),
      (message) => recordSizeUpperBound({ ...message, value: message.value ?? null }),
      GROUP_LIMITS,
    );
  }

  /** Connects once; a failed attempt is forgotten, so the next call tries again. */
  connect(): Promise<void> {
    this.connecting ??= checkConnection(this.kafka)
      .then(() => this.producer.connect())
      .then(
        () => void (this.ready = true),
        (error: unknown) => {
          this.connecting = undefined;
          throw error;
        },
      );
    return this.connecting;
  }

  /** Resolves once Kafka acknowledged every message. */
  async publish(messages: IngestMessage[]): Promise<void> {
    await this.connect();
    await this.sends.submit(messages);
  }

  isReady(): boolean {
    return this.ready;
  }

  async disconnect(): Promise<void> {
    this.ready = false;
    if (!this.connecting) return;
    this.connecting = undefined;
    await this.producer.disconnect();
  }
}

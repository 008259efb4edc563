// The client types other modules may name without importing kafkajs themselves: only
// libs/kafka knows the client (eslint.config.mjs enforces it), and a port can replace these.
export type { Admin as KafkaAdmin, Kafka as KafkaClient } from 'kafkajs';

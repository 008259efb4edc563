import './kafkajs-read-committed';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface KafkaLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The one place a kafkajs client is built; its logs go through our structured logger. */
export function createKafka(brokers: string[], clientId: string, logger?: KafkaLogger): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 12 },
    logCreator: () => (entry: LogEntry) => {
      if (!logger) return;
      const { message, ...fields } = entry.log;
      const at = { component: 'kafkajs', namespace: entry.namespace, ...fields };
      if (entry.level === logLevel.ERROR) logger.error(at, message);
      else if (entry.level === logLevel.WARN) logger.warn(at, message);
      else logger.debug(at, message);
    },
  });
}

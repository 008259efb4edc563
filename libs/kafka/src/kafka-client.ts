import './kafkajs-read-committed';
import './kafkajs-request-queue-timer';
import { createRequire } from 'node:module';
import { Kafka, logLevel, Partitioners, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';

export interface KafkaLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface KafkaClientHooks {
  /**
   * A coordinator refused a transactional request with an error kafkajs retries itself
   * (e.g. CONCURRENT_TRANSACTIONS); called once per refused attempt, with the error type.
   */
  onCoordinatorRetry?(errorType: string): void;
}

/** The one place a kafkajs client is built; its logs go through our structured logger. */
export function createKafka(
  brokers: string[],
  clientId: string,
  logger?: KafkaLogger,
  hooks: KafkaClientHooks = {},
): Kafka {
  return new TablelaneKafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    // For connections, metadata, admin and consumers; producers: see withProducerDefaults.
    retry: { initialRetryTime: 200, retries: 12 },
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      const retried = coordinatorRetry(entry);
      if (retried) hooks.onCoordinatorRetry?.(retried);
      if (!logger) return;
      const at = { component: 'kafkajs', namespace: entry.namespace, ...fields };
      if (retried) logger.debug(at, message);
      else if (entry.level === logLevel.ERROR) logger.error(at, message);
      else if (entry.level === logLevel.WARN) logger.warn(at, message);
      else logger.debug(at, message);
    },
  });
}

class TablelaneKafka extends Kafka {
  override producer(config?: ProducerConfig): Producer {
    return super.producer(withProducerDefaults(config));
  }
}

/**
 * kafkajs merges the client's `retry` into every producer's, so our 12 connection retries
 * also capped the sends of idempotent producers, and kafkajs rightly warned that "limiting
 * retries for the idempotent producer may invalidate EoS guarantees": when a send fails after
 * its last retry, kafkajs rolls the partition's sequence number back, though the broker may
 * have written the batch (its reply was lost). The next send on that producer reuses the
 * sequence and the broker takes it for a duplicate of the batch it already has: it drops it
 * and acknowledges it (the gateway would answer 202 for changes it lost), or, with another
 * record count, refuses every later send as out of order. Unbounded retries, kafkajs's own
 * default for idempotent producers, make a send end only when it is written or refused for
 * good, so the sequence never goes back over a batch the broker may hold and the warning is
 * not true. A producer that states its own retries keeps them (and the warning).
 *
 * The partitioner is kafkajs's default either way (murmur2, as the Java client); naming it
 * only silences kafkajs's notice that its default changed in v2.0.0.
 */
export function withProducerDefaults(config: ProducerConfig = {}): ProducerConfig {
  const idempotent = config.idempotent === true || config.transactionalId !== undefined;
  return {
    ...config,
    createPartitioner: config.createPartitioner ?? Partitioners.DefaultPartitioner,
    retry:
      idempotent && config.retry?.retries === undefined
        ? { ...config.retry, retries: Number.MAX_SAFE_INTEGER }
        : config.retry,
  };
}

const load = createRequire(__filename);
const { errorCodes } = load('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string; message: string }[];
};

/**
 * Errors a transaction coordinator answers while it is still finishing the previous
 * transaction of the same id; kafkajs retries them itself (with the client's retries and
 * backoff), but its connection logs each refused attempt as an error first. They are normal
 * right after a commit or an InitProducerId; a retry that runs out reaches the caller as an
 * error of its own (the router logs "router transaction failed").
 */
const COORDINATOR_RETRIES = new Map(
  errorCodes.filter((e) => e.type === 'CONCURRENT_TRANSACTIONS').map((e) => [e.message, e.type] as const),
);

/** The error type when the entry is a connection's log of a coordinator-retried error. */
export function coordinatorRetry(entry: Pick<LogEntry, 'namespace' | 'log'>): string | undefined {
  if (entry.namespace !== 'Connection' || !entry.log.message.startsWith('Response ')) return undefined;
  const error = (entry.log as { error?: unknown }).error;
  return typeof error === 'string' ? COORDINATOR_RETRIES.get(error) : undefined;
}

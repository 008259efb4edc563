import './kafkajs-read-committed';
import './kafkajs-group-per-partition';
import './kafkajs-request-queue-timer';
import { createRequire } from 'node:module';
import { Kafka, logLevel, Partitioners, type LogEntry, type Producer, type ProducerConfig } from 'kafkajs';
import type { BatchConsumer, BatchConsumerOptions } from './batch-consumer.port';
import type { KafkaAdmin } from './kafka-admin.port';
import { KafkajsBatchConsumer } from './kafkajs-batch-consumer';
import { connectionRefusal, kafkajsSecurity, type KafkaConnection } from './kafka-security';

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

/**
 * A connection to one Kafka cluster, as apps hold it: they take an admin or a batch consumer
 * from it, or hand it to the producers and readers of this lib. The client library behind it
 * stays inside libs/kafka (kafkajsOf), so no app depends on it.
 */
export class KafkaClient {
  constructor(kafkajs: Kafka, connection: KafkaConnection) {
    clients.set(this, { kafkajs, connection });
  }

  /** An admin whose first connect fails fast when the cluster refuses the TLS or SASL settings. */
  admin(): KafkaAdmin {
    const admin = kafkajsOf(this).admin();
    return {
      ...admin,
      connect: async () => {
        await checkConnection(this);
        await admin.connect();
      },
    };
  }

  batchConsumer(options: BatchConsumerOptions): BatchConsumer {
    return new KafkajsBatchConsumer(kafkajsOf(this), options, () => checkConnection(this));
  }
}

interface ClientState {
  kafkajs: Kafka;
  connection: KafkaConnection;
  checked?: Promise<void>;
}

const clients = new WeakMap<KafkaClient, ClientState>();

/** The kafkajs client behind a KafkaClient: for the modules of libs/kafka only (not exported by its index). */
export function kafkajsOf(client: KafkaClient): Kafka {
  return clients.get(client)!.kafkajs;
}

/**
 * One connection attempt, without retries, before the client's first real one: a certificate
 * the client does not trust or credentials the cluster refuses fail the start at once with the
 * setting to fix (KafkaConnectionRefused), where kafkajs would retry them for a minute as
 * connection errors and end with its own message. Anything else (a broker not up yet) is left to
 * the normal, retried connect. Asked once per client.
 */
export function checkConnection(client: KafkaClient): Promise<void> {
  const state = clients.get(client)!;
  state.checked ??= (async () => {
    const { connection } = state;
    const probe = new Kafka({
      clientId: `${connection.clientId}-check`,
      brokers: connection.brokers,
      ...kafkajsSecurity(connection),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await probe.connect();
    } catch (error) {
      const refusal = connectionRefusal(error, connection);
      if (refusal) throw refusal;
    } finally {
      await probe.disconnect().catch(() => undefined);
    }
  })();
  return state.checked;
}

/**
 * The one place a Kafka client is built (brokers, TLS, SASL, retries); its logs go through our
 * structured logger. `role` names the client to the brokers: `<clientId>-<role>`.
 */
export function createKafka(
  connection: KafkaConnection,
  role: string,
  logger?: KafkaLogger,
  hooks: KafkaClientHooks = {},
): KafkaClient {
  return new KafkaClient(
    new TablelaneKafka({
      clientId: `${connection.clientId}-${role}`,
      brokers: connection.brokers,
      ...kafkajsSecurity(connection),
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
    }),
    connection,
  );
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

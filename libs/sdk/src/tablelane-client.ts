import { loadConfigFile, runtimeSettings, TablelaneError, type TablelaneConfig } from '@app/config';
import {
  ChangeRejected,
  ingestKey,
  ingestValueSubject,
  loadTransforms,
  NO_TRANSFORMS,
  prepareChange,
  type ChangeEvent,
  type ChangeIssue,
  type TransformsByTable,
} from '@app/contracts';
import {
  AvroChangeCodec,
  createKafka,
  IngestProducer,
  type IngestMessage,
  type KafkaLogger,
} from '@app/kafka';

/** Row types by table name, e.g. `{ 'public.sales': { salesid: string; qty: number } }`. */
export type TableRows = Record<string, Record<string, unknown>>;

interface ChangeMeta {
  /** Orders changes to one row; required when the table declares a version column and the row does not carry it. */
  version?: string | number;
  id?: string;
  /** Event time in epoch milliseconds. */
  ts?: number;
}

/** A change event whose row (or key) is typed by its table. */
export type TypedChange<T extends TableRows> = {
  [K in keyof T & string]: (
    { table: K; op: 'upsert'; row: T[K] } | { table: K; op: 'delete'; key: Partial<T[K]> }
  ) &
    ChangeMeta;
}[keyof T & string];

export interface TablelaneClientOptions {
  /** Table contracts: a parsed configuration or the path of tablelane.yaml (default: TABLELANE_CONFIG). */
  config?: TablelaneConfig | string;
  /** Transforms, when `config` is an object (read from the file otherwise). */
  transforms?: TransformsByTable;
  /** Default: KAFKA_BROKERS. */
  brokers?: string[];
  /** Default: SCHEMA_REGISTRY_URL. */
  schemaRegistryUrl?: string;
  /** `avro` (default) encodes through the schema registry; `json` writes the documented JSON form. */
  encoding?: 'avro' | 'json';
  clientId?: string;
  logger?: KafkaLogger;
}

export interface SendResult {
  sent: number;
}

/** Some changes do not satisfy their contracts; none of the batch was sent. */
export class TablelaneValidationError extends TablelaneError {
  readonly code = 'INVALID_CHANGES';
  readonly retriable = false;
  constructor(readonly errors: { index: number; issues: ChangeIssue[] }[]) {
    super(
      `${errors.length} change(s) rejected, none sent: ${errors.map((e) => `#${e.index}: ${e.issues.map((i) => i.message).join('; ')}`).join(' | ')}`,
    );
    this.name = 'TablelaneValidationError';
  }
}

export interface TablelaneClient<T extends TableRows = TableRows> {
  /** Validates every change, then sends them; resolves once Kafka acknowledged all of them. */
  send(changes: TypedChange<T> | TypedChange<T>[]): Promise<SendResult>;
  /** Waits for sends in progress. */
  flush(): Promise<void>;
  /** Flushes and disconnects; the client cannot send afterwards. */
  close(): Promise<void>;
}

/**
 * Creates a client. Create it once per process (at module scope in a Lambda): the Kafka
 * connection opens on the first send and is reused by every warm invocation after.
 */
export function createTablelaneClient<T extends TableRows = TableRows>(
  options: TablelaneClientOptions = {},
): TablelaneClient<T> {
  return new KafkaTablelaneClient<T>(options);
}

class KafkaTablelaneClient<T extends TableRows> implements TablelaneClient<T> {
  private readonly config: TablelaneConfig;
  private readonly transforms: TransformsByTable;
  private readonly producer: IngestProducer;
  private readonly codec?: AvroChangeCodec;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: TablelaneClientOptions) {
    const runtime = runtimeSettings();
    if (typeof options.config === 'object') {
      this.config = options.config;
      this.transforms = options.transforms ?? NO_TRANSFORMS;
    } else {
      this.config = loadConfigFile(options.config);
      this.transforms = loadTransforms(this.config);
    }
    const kafka = createKafka(
      {
        ...runtime.kafka,
        brokers: options.brokers ?? runtime.kafka.brokers,
        clientId: options.clientId ?? runtime.kafka.clientId,
      },
      'sdk',
      options.logger,
    );
    this.producer = new IngestProducer(kafka, this.config.topics.ingest);
    if ((options.encoding ?? 'avro') === 'avro') {
      this.codec = AvroChangeCodec.connect(
        options.schemaRegistryUrl ? { url: options.schemaRegistryUrl } : runtime.schemaRegistry,
        ingestValueSubject(this.config.topics.ingest),
      );
    }
  }

  send(changes: TypedChange<T> | TypedChange<T>[]): Promise<SendResult> {
    const sending = this.sendNow(Array.isArray(changes) ? changes : [changes]);
    this.inFlight.add(sending);
    void sending.finally(() => this.inFlight.delete(sending)).catch(() => undefined);
    return sending;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.producer.disconnect();
  }

  private async sendNow(changes: ChangeEvent[] | TypedChange<T>[]): Promise<SendResult> {
    if (this.closed) throw new Error('this tablelane client is closed; create a new one');
    const errors: { index: number; issues: ChangeIssue[] }[] = [];
    const keys: string[] = [];
    changes.forEach((change, index) => {
      try {
        const prepared = prepareChange(this.config, change, this.transforms);
        keys.push(ingestKey(this.config, prepared));
      } catch (error) {
        if (!(error instanceof ChangeRejected)) throw error;
        errors.push({ index, issues: error.issues });
      }
    });
    if (errors.length > 0) throw new TablelaneValidationError(errors);
    if (changes.length === 0) return { sent: 0 };

    const messages: IngestMessage[] = await Promise.all(
      (changes as ChangeEvent[]).map(async (change, i) => ({
        key: keys[i]!,
        value: this.codec ? await this.codec.encode(change) : JSON.stringify(change),
        headers: { 'tablelane.source': 'sdk' },
      })),
    );
    await this.producer.publish(messages);
    return { sent: messages.length };
  }
}

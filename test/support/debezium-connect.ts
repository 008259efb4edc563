import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { stackEnv, uniqueName } from './env';
import { testKafka, waitFor } from './kafka';
import { freePort } from './ports';

/**
 * A real Debezium PostgreSQL source connector in a Kafka Connect standalone worker, reading the
 * stack's CDC source (scripts/stack/up.sh: PostgreSQL on 127.0.0.1:5433, database `source`,
 * wal_level=logical) and writing to the stack's broker. up.sh fetches the worker's classpath
 * into .stack/lib/connect, and the connector and Apicurio's AvroConverter as two plugins into
 * .stack/lib/debezium (plugin.path).
 */

const STACK_DIR = process.env.TABLELANE_STACK_DIR ?? resolve(__dirname, '../../.stack');
const CONNECT_LIB = join(STACK_DIR, 'lib/connect');
const PLUGIN_PATH = join(STACK_DIR, 'lib/debezium');
const CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';
const JSON_CONVERTER = 'org.apache.kafka.connect.json.JsonConverter';
const AVRO_CONVERTER = 'io.apicurio.registry.utils.converter.AvroConverter';
/** PostgresStreamingChangeEventSource logs it once the replication stream is read. */
const STREAMING_LINE =
  'Processing messages (io.debezium.connector.postgresql.PostgresStreamingChangeEventSource)';
/** Replication slots named by default here: tl_cdc_<base-36 ms>_<hex>, so leaked ones show their age. */
const DEFAULT_SLOT = /^tl_cdc_([0-9a-z]+)_[0-9a-f]+$/;
/** An inactive default-named slot older than this was leaked by a run that died before stop(). */
const LEAKED_SLOT_AGE_MS = 30 * 60_000;

/**
 * The CDC source: postgres://postgres@127.0.0.1:5433/source, or CDC_SOURCE_URL (CDC_SOURCE_PORT
 * for another port), as .stack/env names them.
 */
export function cdcSourceUrl(): string {
  return (
    process.env.CDC_SOURCE_URL ??
    `postgres://postgres@127.0.0.1:${process.env.CDC_SOURCE_PORT ?? '5433'}/source`
  );
}

function cdcSource() {
  const url = new URL(cdcSourceUrl());
  return {
    host: url.hostname,
    port: url.port || '5432',
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, '') || 'postgres',
  };
}

/** A pool on the CDC source database; the caller ends it. */
export function cdcSourcePool(): Pool {
  const pool = new Pool({ connectionString: cdcSourceUrl(), max: 4 });
  pool.on('error', () => undefined);
  return pool;
}

/** A schema of one test's own on the CDC source, and a pool on that database. */
export interface SourceSchema {
  name: string;
  pool: Pool;
  /** Drops the schema (CASCADE) and ends the pool. */
  drop(): Promise<void>;
}

/** Creates a fresh schema `<prefix>_<unique>` on the CDC source. */
export async function createSourceSchema(prefix = 'cdc'): Promise<SourceSchema> {
  const name = uniqueName(prefix);
  const pool = cdcSourcePool();
  await pool.query(`CREATE SCHEMA "${name}"`);
  return {
    name,
    pool,
    drop: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await pool.end();
    },
  };
}

/**
 * How the worker's key and value converters write: JsonConverter with `{schema, payload}`
 * envelopes (`json`) or the payload only (`json-schemaless`), or Apicurio's AvroConverter
 * (`avro`) in Confluent's wire format, its writer schemas registered in the stack's registry.
 */
export type ConnectFormat = 'json' | 'json-schemaless' | 'avro';

/**
 * The stack registry's v2 API (Apicurio's own, which the 2.x converter speaks), from the
 * Confluent-compatible URL tablelane uses (`…/apis/ccompat/v7`): the same server.
 */
export function registryV2Url(ccompatUrl = stackEnv.SCHEMA_REGISTRY_URL): string {
  return ccompatUrl.replace(/\/apis\/ccompat\/v\d+\/?$/, '') + '/apis/registry/v2';
}

/**
 * AvroConverter settings (each under `key.converter.` and `value.converter.`) that make it write
 * what a Confluent deserializer (and tablelane's router) reads: magic byte 0 and the 4-byte
 * schema id in the payload, the id being one `GET /apis/ccompat/v7/schemas/ids/{id}` resolves.
 */
export function avroConverterSettings(registryUrl = registryV2Url()): Record<string, string> {
  return {
    'apicurio.registry.url': registryUrl,
    // Registers each writer schema (artifact `<topic>-key`/`-value` in group `default`, which
    // the ccompat API lists as subjects of those names); an identical one returns its ids.
    'apicurio.registry.auto-register': 'true',
    // The id in the payload, not in `apicurio.*` headers (the 2.x default).
    'apicurio.registry.headers.enabled': 'false',
    // 4 bytes after the magic byte (Legacy4ByteIdHandler) instead of an 8-byte id.
    'apicurio.registry.as-confluent': 'true',
    // The content id: what Apicurio 3's ccompat API calls a schema id. The default, globalId,
    // is a version's id: often the same number, but not once a schema is registered again.
    'apicurio.registry.use-id': 'contentId',
  };
}

/** The worker's converter properties for a format. */
function converterProperties(format: ConnectFormat): Record<string, string> {
  if (format !== 'avro') {
    const schemas = String(format === 'json');
    return {
      'key.converter': JSON_CONVERTER,
      'value.converter': JSON_CONVERTER,
      'key.converter.schemas.enable': schemas,
      'value.converter.schemas.enable': schemas,
    };
  }
  const out: Record<string, string> = { 'key.converter': AVRO_CONVERTER, 'value.converter': AVRO_CONVERTER };
  for (const [k, v] of Object.entries(avroConverterSettings())) {
    out[`key.converter.${k}`] = v;
    out[`value.converter.${k}`] = v;
  }
  return out;
}

/** The subjects (ccompat) whose name starts with `prefix`. */
export async function registrySubjects(prefix: string): Promise<string[]> {
  const response = await fetch(`${stackEnv.SCHEMA_REGISTRY_URL}/subjects`);
  if (!response.ok) throw new Error(`GET /subjects: HTTP ${response.status}`);
  return ((await response.json()) as string[]).filter((s) => s.startsWith(prefix));
}

/** Deletes a subject and its schemas for good (soft, then permanent, as Confluent requires). */
export async function deleteRegistrySubject(subject: string): Promise<void> {
  for (const suffix of ['', '?permanent=true']) {
    await fetch(`${stackEnv.SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}${suffix}`, {
      method: 'DELETE',
    }).catch(() => undefined);
  }
}

export interface DebeziumConnectorOptions {
  /** The Connect connector name (REST API path). */
  name: string;
  /** Debezium's topic.prefix: topics are `<topicPrefix>.<schema>.<table>`. Unique per test. */
  topicPrefix: string;
  /** table.include.list entries, `schema.table` (regular expressions to Debezium). */
  tables: string[];
  /** Default tl_cdc_<unique>; stop() drops it. */
  slotName?: string;
  /** Default the slot name + `_pub`; created for `tables` only (publication.autocreate.mode=filtered). */
  publicationName?: string;
  /** The converters for keys and values; default by `jsonSchemas`, else `json`. */
  format?: ConnectFormat;
  /**
   * JsonConverter schemas.enable for keys and values: {schema, payload} envelopes, or payload
   * only (`format` `json` or `json-schemaless`); ignored when `format` is given.
   */
  jsonSchemas?: boolean;
  /** More connector properties; they override the defaults. */
  extra?: Record<string, string>;
  /** An offsets file of an earlier worker (its handle's offsetsFile, stopped with keepSlot) to resume from. */
  offsetsFile?: string;
  /** Until the task streams; default 90 s. */
  startTimeoutMs?: number;
}

export interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

export interface DebeziumConnector {
  name: string;
  topicPrefix: string;
  format: ConnectFormat;
  slotName: string;
  publicationName: string;
  /** http://127.0.0.1:<port> of the worker's REST API. */
  restUrl: string;
  /** The worker's log (its stdout and stderr). */
  logPath: string;
  offsetsFile: string;
  /** `<topicPrefix>.<schemaTable>`: the topic of a table's change events (and its truncates). */
  topic(schemaTable: string): string;
  /**
   * Resolves once `topic` exists with a leader for each partition. Connect creates a topic
   * when the task first sends to it, which may be just after streaming began: a consumer that
   * subscribes before then fails (UNKNOWN_TOPIC_OR_PARTITION).
   */
  waitForTopic(topic: string, timeoutMs?: number): Promise<void>;
  /** The last `lines` lines of the worker's log. */
  logTail(lines?: number): string;
  status(): Promise<ConnectorStatus>;
  /**
   * Stops the worker (SIGTERM, SIGKILL after 10 s), then drops its replication slot and
   * publication on the source and deletes its files and (format `avro`) the registry subjects
   * of its topics. keepSlot: keeps the slot, the publication, the offsets file and the
   * subjects, for a worker started again with `offsetsFile`. kill: SIGKILL at once, as a
   * crash (the worker flushes no offsets; its successor replays from the last flushed ones).
   */
  stop(options?: { keepSlot?: boolean; kill?: boolean }): Promise<void>;
}

/** A java.util.Properties line; values may hold any character. */
function properties(entries: Record<string, string>): string {
  const escape = (s: string) =>
    s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/^ /, '\\ ');
  return Object.entries(entries)
    .map(([k, v]) => `${k}=${escape(v)}`)
    .join('\n')
    .concat('\n');
}

const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
# the clients' config dumps and per-request lines
logger.clients.name = org.apache.kafka.clients
logger.clients.level = warn
logger.common.name = org.apache.kafka.common
logger.common.level = warn
logger.rest.name = org.apache.kafka.connect.runtime.rest.RestServer
logger.rest.level = warn
`;

function tail(path: string, lines = 60): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}

/** The log's first ERROR lines, less the CloudEventsConverter one every start logs (README.md). */
function errorLines(path: string): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => / ERROR /.test(line) && !line.includes('Failed to discover Converter'))
    .slice(0, 8)
    .join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withSource<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: cdcSourceUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Drops inactive default-named slots that runs killed before stop() left behind (max_replication_slots is 20). */
async function dropLeakedSlots(client: Client): Promise<void> {
  const { rows } = await client.query<{ slot_name: string }>(
    'SELECT slot_name FROM pg_replication_slots WHERE NOT active AND database = current_database()',
  );
  for (const { slot_name } of rows) {
    const made = DEFAULT_SLOT.exec(slot_name);
    if (made && Date.now() - parseInt(made[1]!, 36) > LEAKED_SLOT_AGE_MS)
      await client.query('SELECT pg_drop_replication_slot($1)', [slot_name]).catch(() => undefined);
  }
}

async function dropSlotAndPublication(slot: string, publication: string): Promise<void> {
  await withSource(async (client) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      // The walsender of a killed worker may linger a moment; end it rather than wait.
      await client.query(
        'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL',
        [slot],
      );
      try {
        await client.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
          [slot],
        );
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
    await client.query(`DROP PUBLICATION IF EXISTS "${publication}"`);
  });
}

/** Deletes the subjects AvroConverter registered for the topics `<topicPrefix>.*`. */
async function deleteSubjects(topicPrefix: string): Promise<void> {
  for (const subject of await registrySubjects(`${topicPrefix}.`)) await deleteRegistrySubject(subject);
}

async function waitForTopic(topic: string, timeoutMs = 30_000): Promise<void> {
  const admin = testKafka('debezium-connect').admin();
  await admin.connect();
  try {
    await waitFor(
      `topic ${topic}`,
      () =>
        admin.fetchTopicMetadata({ topics: [topic] }).then(
          (m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)),
          () => false,
        ),
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Is the slot being read by a walsender (START_REPLICATION issued)? */
async function slotActive(slot: string): Promise<boolean> {
  return withSource(async (client) => {
    const { rows } = await client.query<{ active: boolean }>(
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    return rows[0]?.active === true;
  });
}

/**
 * Starts a Connect standalone worker with one Debezium PostgreSQL connector and resolves once
 * its task streams: REST status RUNNING, the connector logged that it processes the
 * replication stream, and the slot is active. A change committed after that is a `c`/`u`/`d`/`t`
 * event; rows present before it are `r` events of the initial snapshot. Call stop() when done
 * (in afterAll or onTestFinished); a worker still running when the test process exits is killed.
 */
export async function startDebeziumConnector(options: DebeziumConnectorOptions): Promise<DebeziumConnector> {
  if (!existsSync(CONNECT_LIB) || !readdirSync(CONNECT_LIB).some((f) => f.startsWith('connect-runtime-')))
    throw new Error(`${CONNECT_LIB} has no Kafka Connect runtime: run scripts/stack/up.sh`);
  if (!existsSync(join(PLUGIN_PATH, 'debezium-connector-postgres')))
    throw new Error(`${PLUGIN_PATH} has no Debezium PostgreSQL connector: run scripts/stack/up.sh`);
  const format: ConnectFormat =
    options.format ?? (options.jsonSchemas === false ? 'json-schemaless' : 'json');
  if (format === 'avro' && !existsSync(join(PLUGIN_PATH, 'apicurio-converter')))
    throw new Error(`${PLUGIN_PATH} has no Apicurio AvroConverter: run scripts/stack/up.sh`);

  const slotName = options.slotName ?? `tl_cdc_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const publicationName = options.publicationName ?? `${slotName}_pub`;
  const source = cdcSource();
  await withSource(dropLeakedSlots);

  const dir = mkdtempSync(join(tmpdir(), 'tablelane-connect-'));
  const offsetsFile = options.offsetsFile ?? join(dir, 'offsets.dat');
  const logPath = join(dir, 'worker.log');
  const port = await freePort();
  const restUrl = `http://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
  writeFileSync(
    join(dir, 'worker.properties'),
    properties({
      'bootstrap.servers': stackEnv.KAFKA_BROKERS,
      ...converterProperties(format),
      'offset.storage.file.filename': offsetsFile,
      'offset.flush.interval.ms': '1000',
      'plugin.path': PLUGIN_PATH,
      // Debezium and the converter ship ServiceLoader manifests: no reflective scan of their jars.
      'plugin.discovery': 'service_load',
      listeners: restUrl,
      'rest.advertised.host.name': '127.0.0.1',
      'rest.advertised.port': String(port),
    }),
  );
  writeFileSync(
    join(dir, 'connector.properties'),
    properties({
      name: options.name,
      'connector.class': CONNECTOR_CLASS,
      'tasks.max': '1',
      'plugin.name': 'pgoutput',
      'database.hostname': source.host,
      'database.port': source.port,
      'database.user': source.user,
      ...(source.password ? { 'database.password': source.password } : {}),
      'database.dbname': source.database,
      'topic.prefix': options.topicPrefix,
      'table.include.list': options.tables.join(','),
      'slot.name': slotName,
      'publication.name': publicationName,
      'publication.autocreate.mode': 'filtered',
      'snapshot.mode': 'initial',
      // Truncates too (Debezium skips them by default).
      'skipped.operations': 'none',
      // Connect creates the topics itself, whatever the broker's auto.create.topics.enable.
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '1',
      ...options.extra,
    }),
  );

  const log = openSync(logPath, 'a');
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xms64m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      '-Xshare:auto',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
      '-cp',
      `${CONNECT_LIB}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      join(dir, 'worker.properties'),
      join(dir, 'connector.properties'),
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  let exitCode: number | string | null = null;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      done();
    }),
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const status = async (): Promise<ConnectorStatus> => {
    const response = await fetch(`${restUrl}/connectors/${encodeURIComponent(options.name)}/status`);
    if (!response.ok) throw new Error(`GET /connectors/${options.name}/status: HTTP ${response.status}`);
    return (await response.json()) as ConnectorStatus;
  };

  let stopped = false;
  const stop = async ({ keepSlot = false, kill = false }: { keepSlot?: boolean; kill?: boolean } = {}) => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (exitCode === null) {
      child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!keepSlot) {
      await dropSlotAndPublication(slotName, publicationName);
      rmSync(dir, { recursive: true, force: true });
      if (format === 'avro') await deleteSubjects(options.topicPrefix);
    }
  };

  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exitCode !== null) throw new Error(`the Connect worker exited (${exitCode})`);
      const current = await status().catch(() => null); // the REST server opens a few seconds in
      const failed = [current?.connector, ...(current?.tasks ?? [])].find((s) => s?.state === 'FAILED');
      if (failed) throw new Error(`connector ${options.name} FAILED: ${failed.trace ?? ''}`);
      if (
        current?.connector.state === 'RUNNING' &&
        current.tasks.length > 0 &&
        current.tasks.every((t) => t.state === 'RUNNING') &&
        readFileSync(logPath, 'utf8').includes(STREAMING_LINE) &&
        (await slotActive(slotName))
      )
        break;
      if (Date.now() > deadline)
        throw new Error(`connector ${options.name} not streaming after ${timeoutMs} ms`);
      await sleep(200);
    }
  } catch (error) {
    const message = `${(error as Error).message}\n--- ${logPath}: errors ---\n${errorLines(logPath)}\n--- tail ---\n${tail(logPath, 40)}`;
    // Kill the worker and drop the slot, but keep the log to read.
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await dropSlotAndPublication(slotName, publicationName).catch(() => undefined);
    if (format === 'avro') await deleteSubjects(options.topicPrefix).catch(() => undefined);
    throw new Error(message, { cause: error });
  }

  return {
    name: options.name,
    topicPrefix: options.topicPrefix,
    format,
    slotName,
    publicationName,
    restUrl,
    logPath,
    offsetsFile,
    topic: (schemaTable) => `${options.topicPrefix}.${schemaTable}`,
    waitForTopic: (topic, waitMs) => waitForTopic(topic, waitMs),
    logTail: (lines) => tail(logPath, lines),
    status,
    stop,
  };
}

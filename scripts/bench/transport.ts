import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { runtimeSettings } from '@app/config';
import { createKafka, IngestProducer, type KafkaAdmin, type KafkaClient } from '@app/kafka';
import { ROOT } from '../pipeline/stack';

/** Record size of every transport run, close to a change event on the ingest topic. */
export const TRANSPORT_RECORD_BYTES = 300;
/** Records per send of the kafkajs producer, as the backlog producer and the issue send them. */
const KAFKAJS_BATCH = 1000;
/** The stack's Kafka tools classpath and log configuration (scripts/stack/up.sh kafka_tool). */
const KAFKA_CLASSPATH = resolve(ROOT, '.stack/lib/kafka/*');
const TOOLS_LOG4J = resolve(ROOT, '.stack/conf/tools-log4j2.properties');
/**
 * The heap kafka-producer-perf-test.sh gives the tools. Not the stack's quick-start flags
 * (C1 only, serial GC): those keep a one-shot admin command fast to start, and would hold a
 * perf tool below what the JVM client does.
 */
const PERF_JVM = ['-Xmx512m'];

export interface TransportResult {
  client: 'Kafka perf tools (Java)' | 'kafkajs (libs/kafka)';
  direction: 'produce' | 'consume';
  records: number;
  recordBytes: number;
  /** Seconds the tool measured: produce from the first send to the last acknowledgement, consume from the first fetch to the last record (group join excluded). */
  seconds: number;
  recordsPerSecond: number;
  /** MB (2^20 bytes) of record values per second, as Kafka's tools count them. */
  megabytesPerSecond: number;
  settings: string;
}

/**
 * (e) The transport ceiling on this machine: how fast Kafka itself takes and hands out records
 * of the size of a change, with Kafka's own Java perf tools and with kafkajs as tablelane uses
 * it (the SDK's IngestProducer: idempotent, acks=all, one request in flight; the sinks' batch
 * consumer: read_committed, 4 MiB per partition). Each client writes its own topic of
 * `partitions` partitions and reads it back with a fresh group; topics and groups are deleted.
 */
export async function runTransport(options: {
  run: string;
  records: number;
  partitions: number;
}): Promise<TransportResult[]> {
  const { run, records, partitions } = options;
  const kafka = createKafka(runtimeSettings().kafka, 'bench-transport');
  const admin = kafka.admin();
  await admin.connect();
  const topics = {
    java: `tablelane.bench.${run}.transport-java`,
    kafkajs: `tablelane.bench.${run}.transport-kafkajs`,
  };
  const groups = {
    java: `tablelane-bench-${run}-transport-java`,
    kafkajs: `tablelane-bench-${run}-transport-kafkajs`,
  };
  const results: TransportResult[] = [];
  const report = (result: TransportResult) => {
    results.push(result);
    console.log(
      `    ${result.client} ${result.direction}: ${Math.round(result.recordsPerSecond)} records/s, ${result.megabytesPerSecond.toFixed(1)} MB/s (${result.records} records of ${result.recordBytes} bytes in ${result.seconds.toFixed(2)} s)`,
    );
  };
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
    report(await javaProduce(topics.java, records));
    report(await javaConsume(topics.java, groups.java, records));
    report(await kafkajsProduce(kafka, topics.kafkajs, records));
    report(await kafkajsConsume(kafka, topics.kafkajs, groups.kafkajs, records));
  } finally {
    await cleanUp(admin, Object.values(groups), Object.values(topics));
  }
  return results;
}

async function cleanUp(admin: KafkaAdmin, groups: string[], topics: string[]): Promise<void> {
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

async function javaProduce(topic: string, records: number): Promise<TransportResult> {
  const settings = ['acks=all', 'enable.idempotence=true'];
  const output = await kafkaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(TRANSPORT_RECORD_BYTES),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${brokers()}`,
    ...settings,
  ]);
  // The last report line is the summary, with percentiles: "N records sent, R records/sec (M MB/sec), ... 50th, ...".
  const summary = output
    .split('\n')
    .reverse()
    .find((line) => line.includes('records sent') && line.includes('50th'));
  const match = summary && /(\d+) records sent, ([\d.]+) records\/sec/.exec(summary);
  if (!match) throw new Error(`ProducerPerformance printed no summary:\n${output}`);
  const rate = Number(match[2]);
  return result('Kafka perf tools (Java)', 'produce', Number(match[1]), Number(match[1]) / rate, [
    'ProducerPerformance',
    ...settings,
    'defaults otherwise',
  ]);
}

async function javaConsume(topic: string, group: string, records: number): Promise<TransportResult> {
  const output = await kafkaTool('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server',
    brokers(),
    '--topic',
    topic,
    '--messages',
    String(records),
    '--group',
    group,
  ]);
  // A header line, then one line of values: start.time, end.time, ..., fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.
  const lines = output.split('\n').filter((line) => line.includes(','));
  const header = lines.findIndex((line) => line.includes('fetch.nMsg.sec'));
  const names = lines[header]?.split(',').map((s) => s.trim());
  const values = lines[header + 1]?.split(',').map((s) => s.trim());
  if (!names || !values) throw new Error(`ConsumerPerformance printed no result:\n${output}`);
  const field = (name: string) => Number(values[names.indexOf(name)]);
  const consumed = field('data.consumed.in.nMsg');
  return result('Kafka perf tools (Java)', 'consume', consumed, field('fetch.time.ms') / 1000, [
    'ConsumerPerformance',
    'fetch rate (group join excluded)',
  ]);
}

async function kafkajsProduce(kafka: KafkaClient, topic: string, records: number): Promise<TransportResult> {
  const producer = new IngestProducer(kafka, topic);
  const value = randomBytes(TRANSPORT_RECORD_BYTES);
  try {
    await producer.connect();
    const started = process.hrtime.bigint();
    for (let sent = 0; sent < records; sent += KAFKAJS_BATCH) {
      const count = Math.min(KAFKAJS_BATCH, records - sent);
      await producer.publish(Array.from({ length: count }, () => ({ key: null, value })));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return result('kafkajs (libs/kafka)', 'produce', records, seconds, [
      'IngestProducer (acks=all, idempotent, 1 request in flight)',
      `sends of ${KAFKAJS_BATCH}`,
    ]);
  } finally {
    await producer.disconnect();
  }
}

async function kafkajsConsume(
  kafka: KafkaClient,
  topic: string,
  groupId: string,
  records: number,
): Promise<TransportResult> {
  const consumer = kafka.batchConsumer({
    groupId,
    sessionTimeoutMs: 10_000,
    concurrency: 8,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  let consumed = 0;
  let first: bigint | undefined;
  let last = 0n;
  try {
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`consumed ${consumed} of ${records} records of ${topic} in 120 s`)),
        120_000,
      );
      const ignore = () => undefined;
      consumer
        .start(
          topic,
          async (batch) => {
            first ??= process.hrtime.bigint();
            consumed += batch.records.length;
            batch.resolveOffset(batch.lastOffset());
            if (consumed >= records) {
              last = process.hrtime.bigint();
              clearTimeout(timer);
              done();
            }
          },
          { rebalancing: ignore, joined: ignore, skipped: ignore, failed: fail },
        )
        .catch(fail);
    });
  } finally {
    await consumer.stop();
  }
  return result('kafkajs (libs/kafka)', 'consume', consumed, Number(last - first!) / 1e9, [
    "the sinks' batch consumer (read_committed, 4 MiB per partition)",
    'from the first fetch (group join excluded)',
  ]);
}

function result(
  client: TransportResult['client'],
  direction: TransportResult['direction'],
  records: number,
  seconds: number,
  settings: string[],
): TransportResult {
  const recordsPerSecond = records / seconds;
  return {
    client,
    direction,
    records,
    recordBytes: TRANSPORT_RECORD_BYTES,
    seconds,
    recordsPerSecond,
    megabytesPerSecond: (recordsPerSecond * TRANSPORT_RECORD_BYTES) / 1024 ** 2,
    settings: settings.join(', '),
  };
}

function brokers(): string {
  return runtimeSettings().kafka.brokers.join(',');
}

/** Runs one of Kafka's Java tools from the stack's jars; resolves with its output, rejects on failure. */
function kafkaTool(mainClass: string, args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(
      'java',
      [...PERF_JVM, '-cp', KAFKA_CLASSPATH, `-Dlog4j2.configurationFile=${TOOLS_LOG4J}`, mainClass, ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0
        ? done(output)
        : fail(new Error(`${mainClass} exited with ${code}:\n${output.slice(-2000)}`)),
    );
  });
}

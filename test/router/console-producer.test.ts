// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  createTestTopics,
  readCommitted,
  ROOT,
  routerEnv,
  stack,
  startApp,
  testKafka,
  writeConfig,
} from './support/harness';
import { parseConfig } from '@app/config';
import { laneOf } from '@app/kafka';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TABLES = [
  {
    name: 'public.sales',
    columns: { id: 'bigint', qty: 'integer', price: 'numeric(10,2)' },
    primaryKey: ['id'],
  },
  { name: 'shop.orders', columns: { id: 'bigint', status: 'text' }, primaryKey: ['id'], lane: 1 },
];

/** The Java console producer from the broker's own jars (.stack/lib/kafka, see scripts/stack). */
function consoleProducer(topic: string, lines: string[]): Promise<{ code: number | null; output: string }> {
  const stackDir = process.env.TABLELANE_STACK_DIR ?? join(ROOT, '.stack');
  const jars = join(stackDir, 'lib/kafka');
  const version = readdirSync(jars)
    .map((f) => /^kafka_2\.\d+-(\d+)\./.exec(f)?.[1])
    .find(Boolean);
  // Kafka 4 moved the tool from the Scala core into the tools module.
  const mainClass =
    Number(version ?? 4) >= 4 ? 'org.apache.kafka.tools.ConsoleProducer' : 'kafka.tools.ConsoleProducer';
  const log4j2 = join(stackDir, 'conf/tools-log4j2.properties');
  const java = spawn(
    'java',
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      ...(existsSync(log4j2) ? [`-Dlog4j2.configurationFile=${log4j2}`] : []),
      '-cp',
      `${jars}/*`,
      mainClass,
      '--bootstrap-server',
      stack.KAFKA_BROKERS,
      '--topic',
      topic,
      '--producer-property',
      'acks=all',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  java.stdout.on('data', (d) => (output += d));
  java.stderr.on('data', (d) => (output += d));
  java.stdin.end(`${lines.join('\n')}\n`);
  return new Promise((resolve) => java.on('exit', (code) => resolve({ code, output })));
}

describe('a change from another Kafka client', () => {
  it('routes the documented JSON form written by the Java console producer onto its lane', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'consoleproducer', { ingest: 2, changes: 4, dlq: 1 });
    const configPath = writeConfig(topics, TABLES);
    const router = startApp('router', routerEnv(configPath, topics));

    const events = [
      {
        table: 'public.sales',
        op: 'upsert',
        row: { id: '9007199254740993', qty: 3, price: '12.50' },
        id: 'java-1',
        ts: 1767225600000,
      },
      { table: 'shop.orders', op: 'upsert', row: { id: 7, status: 'paid' }, id: 'java-2' },
      { table: 'shop.orders', op: 'delete', key: { id: 7 }, id: 'java-3' },
    ];
    const [sent] = await Promise.all([
      consoleProducer(
        topics.ingest,
        events.map((e) => JSON.stringify(e)),
      ),
      router.waitFor(/router running/),
    ]);
    expect(sent.code, sent.output).toBe(0);

    const routed = await readCommitted(kafka, topics.changes, events.length, { quietMs: 1500 });
    const contracts = parseConfig({ tables: TABLES }).tables;
    expect(routed).toHaveLength(events.length);
    for (const event of events) {
      const record = routed.find((r) => (JSON.parse(r.value!.toString()) as { id: string }).id === event.id)!;
      expect(JSON.parse(record.value!.toString())).toEqual(event);
      expect(record.key).toBe(event.table);
      expect(record.partition).toBe(
        laneOf(
          contracts.find((c) => c.name === event.table)!,
          4,
        ),
      );
    }
    const admin = kafka.admin();
    await admin.connect();
    expect((await admin.fetchTopicOffsets(topics.dlq)).map((p) => p.high)).toEqual(['0']);
    await admin.disconnect();
  });
});

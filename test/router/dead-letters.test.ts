// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  createTestTopics,
  readCommitted,
  routerEnv,
  stack,
  startApp,
  testKafka,
  writeConfig,
} from './support/harness';
import { freePort } from '../support/ports';
import { DLQ_HEADERS, ingestValueSubject } from '@app/contracts';
import { AvroChangeCodec, laneOf } from '@app/kafka';
import { parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';

const TABLES = [{ name: 'public.sales', columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] }];

describe('router dead letters', () => {
  it('dead-letters every bad ingest record with its reason and routes everything else', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'deadletters', { ingest: 1, changes: 4, dlq: 1 });
    const configPath = writeConfig(topics, TABLES);
    const codec = AvroChangeCodec.connect(stack.SCHEMA_REGISTRY_URL, ingestValueSubject(topics.ingest));
    const schemaId = await codec.schemaId();
    const good = async (id: number, avro = false) => {
      const event = { table: 'public.sales', op: 'upsert' as const, id: `good-${id}`, row: { id, qty: id } };
      return avro ? codec.encode(event) : Buffer.from(JSON.stringify(event));
    };
    const avroGood = await good(99, true);
    const corruptedAvro = Buffer.concat([
      avroGood.subarray(0, 5),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x02]),
    ]);
    const unknownSchema = Buffer.from(avroGood);
    unknownSchema.writeInt32BE(2 ** 31 - 1, 1);
    expect(schemaId).not.toBe(2 ** 31 - 1);

    // Offsets in the single ingest partition: bad records between good ones, JSON and Avro.
    const bad: [string, Buffer][] = [
      ['MALFORMED_JSON', Buffer.from('{"table": "public.sales", "op": "upsert", "row": {')],
      ['UNKNOWN_TABLE', Buffer.from(JSON.stringify({ table: 'public.nope', op: 'upsert', row: { id: 1 } }))],
      ['MISSING_KEY', Buffer.from(JSON.stringify({ table: 'public.sales', op: 'upsert', row: { qty: 1 } }))],
      [
        'INVALID_VALUE',
        Buffer.from(JSON.stringify({ table: 'public.sales', op: 'upsert', row: { id: 1, qty: 'many' } })),
      ],
      ['AVRO_DECODE_FAILED', corruptedAvro],
      ['UNKNOWN_SCHEMA', unknownSchema],
    ];
    const values: Buffer[] = [await good(1)];
    for (const [i, [, value]] of bad.entries()) values.push(value, await good(10 + i, i % 2 === 0));
    values.push(avroGood);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: topics.ingest,
      acks: -1,
      messages: values.map((value, i) => ({ value, headers: { 'x-test-index': String(i) } })),
    });
    await producer.disconnect();

    const port = await freePort();
    const router = startApp('router', { ...routerEnv(configPath, topics), PORT: String(port) });
    await router.waitFor(/router running/);

    const dead = await readCommitted(kafka, topics.dlq, bad.length, { quietMs: 2000 });
    const routed = await readCommitted(kafka, topics.changes, values.length - bad.length, { quietMs: 1000 });

    expect(dead.map((r) => r.headers[DLQ_HEADERS.errorCode])).toEqual(bad.map(([code]) => code));
    for (const [i, record] of dead.entries()) {
      const offset = values.indexOf(bad[i]![1]);
      // The original bytes and headers, and where they came from.
      expect(record.value).toEqual(bad[i]![1]);
      expect(record.headers).toMatchObject({
        'x-test-index': String(offset),
        [DLQ_HEADERS.sourceTopic]: topics.ingest,
        [DLQ_HEADERS.sourcePartition]: '0',
        [DLQ_HEADERS.sourceOffset]: String(offset),
        [DLQ_HEADERS.stage]: 'router',
      });
      expect(record.headers[DLQ_HEADERS.errorMessage]!.length).toBeGreaterThan(10);
    }
    expect(dead[5]!.headers[DLQ_HEADERS.errorMessage]).toContain(`schema id ${2 ** 31 - 1}`);

    const lane = laneOf(parseConfig({ tables: TABLES }).tables[0]!, 4);
    expect(routed.map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id)).toEqual([
      'good-1',
      ...bad.map((_, i) => `good-${10 + i}`),
      'good-99',
    ]);
    expect(new Set(routed.map((r) => r.partition))).toEqual(new Set([lane]));
    expect(router.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('tablelane_router_dead_letters_total{code="UNKNOWN_SCHEMA"} 1');
    expect(metrics).toContain(
      `tablelane_router_changes_routed_total{table="public.sales"} ${values.length - bad.length}`,
    );
  });
});

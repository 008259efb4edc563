// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  createTestTopics,
  deleteSubject,
  readCommitted,
  routerEnv,
  stack,
  startApp,
  testKafka,
  writeConfig,
  type ReadRecord,
} from './support/harness';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { runtimeSettings } from '@app/config';
import { DLQ_HEADERS, ingestValueSubject } from '@app/contracts';
import { AvroChangeCodec, HttpSchemaRegistry } from '@app/kafka';
import { createS3Client, S3ObjectStore } from '@app/staging';
import avro from 'avsc';
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PAYLOAD_HEADERS } from '@app/router/routing/fit-to-topics';
import { deleteObject, testS3Client } from '../support/s3';

const TABLES = [
  {
    name: 'public.fuzz',
    columns: { id: 'bigint', qty: 'integer', note: 'text', doc: 'json' },
    primaryKey: ['id'],
  },
];
/** Small limits on the output topics: a backlog of dead letters exceeds them many times over. */
const LIMIT = 64 * 1024;
const INGEST_PARTITIONS = 2;
const SEED = Number(process.env.TABLELANE_FUZZ_SEED ?? Date.now() % 2 ** 31);

interface Bad {
  kind: string;
  value: Buffer;
  /** The dead letter's code when the kind decides it; random kinds take any code. */
  code?: string;
  /** Too big for the dead-letter topic: the payload must be in S3. */
  moved?: boolean;
}

const sample = <T>(arb: fc.Arbitrary<T>, numRuns: number, salt: number): T[] =>
  fc.sample(arb, { numRuns, seed: SEED + salt });
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const frame = (schemaId: number, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
};

async function badRecords(codec: AvroChangeCodec, schemaId: number, foreignId: number): Promise<Bad[]> {
  const foreign = avro.Type.forSchema({
    type: 'record',
    name: 'Other',
    fields: [{ name: 'n', type: 'int' }],
  });
  const bytes = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b));
  const deep = `{"table":"public.fuzz","op":"upsert","row":{"id":1,"doc":${'['.repeat(6000)}${']'.repeat(6000)}}}`;
  const bad: Bad[] = [
    ...sample(bytes, 540, 1).map((value) => ({ kind: 'random bytes', value })),
    ...sample(fc.tuple(fc.integer({ min: 1, max: 8 }), bytes), 200, 2).map(([magic, body]) => {
      const value = frame(0, body);
      value[0] = magic;
      return { kind: 'wrong magic byte', value, code: 'BAD_MAGIC_BYTE' };
    }),
    ...sample(bytes, 200, 3).map((body, i) => ({
      kind: 'unknown schema id',
      value: frame(0x7f000000 + i, body),
      code: 'UNKNOWN_SCHEMA',
    })),
    ...sample(fc.integer(), 150, 4).map((n) => ({
      kind: 'wrong Avro schema',
      value: frame(foreignId, foreign.toBuffer({ n })),
      code: 'INCOMPATIBLE_SCHEMA',
    })),
    ...sample(bytes, 150, 5).map((body) => ({
      kind: 'Avro body not decoding',
      value: frame(schemaId, body),
    })),
    ...(await Promise.all(
      sample(
        fc.string().map((s) => `q${s}`),
        100,
        6,
      ).map(async (qty) => ({
        kind: 'Avro with invalid content',
        value: await codec.encode({ table: 'public.fuzz', op: 'upsert', row: { id: 1, qty } }),
        code: 'INVALID_VALUE',
      })),
    )),
    ...sample(
      fc.record({
        table: fc.constantFrom('public.fuzz', 'public.nope', 7, null),
        op: fc.constantFrom('upsert', 'delete', 'merge', 1),
        row: fc.record({
          id: fc.oneof(fc.boolean(), fc.constant(null), fc.array(fc.integer())),
          qty: fc.jsonValue(),
        }),
      }),
      400,
      7,
    ).map((event) => ({ kind: 'wrong JSON types', value: json(event) })),
    ...Array.from({ length: 50 }, () => ({
      kind: '6,000-level nesting',
      value: Buffer.from(deep),
      code: 'TOO_DEEP',
    })),
    ...sample(fc.string(), 100, 8).map((note) => {
      const value = json({ table: 'public.fuzz', op: 'upsert', row: { id: 1, note: `${note}#` } });
      value[value.indexOf('#')] = 0xff;
      return { kind: 'invalid UTF-8', value, code: 'INVALID_UTF8' };
    }),
    ...sample(fc.integer({ min: 0xd800, max: 0xdfff }), 100, 9).map((unit) => ({
      kind: 'lone surrogate',
      value: Buffer.from(
        `{"table":"public.fuzz","op":"upsert","row":{"id":1,"note":"a\\u${unit.toString(16)}b"}}`,
      ),
      code: 'INVALID_UTF8',
    })),
    // Bigger than the dead-letter topic takes: dead letters with their payload in S3.
    ...Array.from({ length: 5 }, (_, i) => ({
      kind: 'oversize invalid',
      value: json({ table: 'public.nope', op: 'upsert', row: { id: i, note: 'x'.repeat(100_000) } }),
      code: 'UNKNOWN_TABLE',
      moved: true,
    })),
    ...Array.from({ length: 5 }, (_, i) => ({
      kind: 'oversize valid change',
      value: json({ table: 'public.fuzz', op: 'upsert', row: { id: i, note: 'x'.repeat(100_000) } }),
      code: 'RECORD_TOO_LARGE',
      moved: true,
    })),
  ];
  return bad;
}

/** Produces values round-robin over the ingest partitions; returns `partition:offset` of each. */
async function produce(kafka: Kafka, topic: string, values: Buffer[]): Promise<string[]> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const positions: string[] = new Array<string>(values.length);
  try {
    for (let partition = 0; partition < INGEST_PARTITIONS; partition++) {
      const indexes = values.map((_, i) => i).filter((i) => i % INGEST_PARTITIONS === partition);
      // Requests well under the ingest topic's 1 MiB limit.
      for (let start = 0; start < indexes.length;) {
        let bytes = 0;
        let end = start;
        while (end < indexes.length && (end === start || bytes + values[indexes[end]!]!.length < 500_000))
          bytes += values[indexes[end++]!]!.length;
        const chunk = indexes.slice(start, end);
        const [meta] = await producer.send({
          topic,
          acks: -1,
          messages: chunk.map((i) => ({
            partition,
            value: values[i]!,
            headers: { 'x-fuzz-index': String(i) },
          })),
        });
        chunk.forEach((i, n) => (positions[i] = `${partition}:${BigInt(meta!.baseOffset!) + BigInt(n)}`));
        start = end;
      }
    }
  } finally {
    await producer.disconnect();
  }
  return positions;
}

const sourceOf = (r: ReadRecord) =>
  `${r.headers[DLQ_HEADERS.sourcePartition]}:${r.headers[DLQ_HEADERS.sourceOffset]}`;

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('router fuzz', () => {
  it('dead-letters every malformed record exactly once, never stalls, and routes the good ones', async () => {
    const kafka = testKafka();
    const small = { 'max.message.bytes': String(LIMIT) };
    const topics = await createTestTopics(
      kafka,
      'fuzz',
      { ingest: INGEST_PARTITIONS, changes: 2, dlq: 1 },
      { changes: small, dlq: small },
    );
    const configPath = writeConfig(topics, TABLES);
    const codec = AvroChangeCodec.connect(stack.SCHEMA_REGISTRY_URL, ingestValueSubject(topics.ingest));
    const schemaId = await codec.schemaId();
    const foreignSubject = `${topics.base}.other-value`;
    onTestFinished(() => deleteSubject(foreignSubject));
    const foreignId = await new HttpSchemaRegistry(stack.SCHEMA_REGISTRY_URL).register(foreignSubject, {
      type: 'record',
      name: 'Other',
      fields: [{ name: 'n', type: 'int' }],
    });

    const bad = await badRecords(codec, schemaId, foreignId);
    const good = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const event = {
          table: 'public.fuzz',
          op: 'upsert' as const,
          id: `good-${i}`,
          row: { id: i, qty: i },
        };
        return i % 2 === 0 ? codec.encode(event) : Promise.resolve(json(event));
      }),
    );
    expect(bad.length).toBeGreaterThanOrEqual(2000);
    // Everything bad is waiting before the router starts: its first fetches are all backlog.
    const positions = await produce(kafka, topics.ingest, [...bad.map((b) => b.value), ...good]);

    const router = startApp('router', routerEnv(configPath, topics));
    await router.waitFor(/router running/);
    const dead = await readCommitted(kafka, topics.dlq, bad.length, { timeoutMs: 40_000, quietMs: 1500 });
    const routed = await readCommitted(kafka, topics.changes, good.length, {
      timeoutMs: 10_000,
      quietMs: 1000,
    });

    expect(router.child.exitCode, `seed ${SEED}`).toBeNull();
    // Every bad record exactly once, found by where it came from.
    const bySource = new Map(dead.map((r) => [sourceOf(r), r]));
    expect(bySource.size, `seed ${SEED}`).toBe(dead.length);
    expect(dead.length, `seed ${SEED}`).toBe(bad.length);
    const moved = await movedPayloadStore();
    const s3 = testS3Client();
    for (const [i, item] of bad.entries()) {
      const letter = bySource.get(positions[i]!);
      expect(letter, `${item.kind} at ${positions[i]} (seed ${SEED})`).toBeDefined();
      const code = letter!.headers[DLQ_HEADERS.errorCode];
      if (item.code) expect(code, `${item.kind} (seed ${SEED})`).toBe(item.code);
      expect(code).toMatch(/^[A-Z0-9_]+$/);
      expect(letter!.headers[DLQ_HEADERS.errorMessage]!.length).toBeGreaterThan(10);
      if (item.moved) {
        // Kept whole in S3; the dead letter says where, with the hash and the size.
        expect(letter!.value?.length ?? 0).toBe(0);
        expect(letter!.headers[PAYLOAD_HEADERS.size]).toBe(String(item.value.length));
        expect(letter!.headers[PAYLOAD_HEADERS.sha256]).toBe(
          createHash('sha256').update(item.value).digest('hex'),
        );
        const key = letter!.headers[PAYLOAD_HEADERS.s3Key]!;
        onTestFinished(() => deleteObject(s3, moved.uri(key)));
        expect(await readAll(await moved.get(key))).toEqual(item.value);
      } else {
        expect(letter!.value).toEqual(item.value);
      }
    }
    // Every good record on the changes topic once, and nothing from bad input.
    const ids = routed.map((r) => (JSON.parse(r.value!.toString()) as { id?: string }).id);
    expect([...ids].sort()).toEqual(good.map((_, i) => `good-${i}`).sort());
    // The log has one summary line per batch, not a line per refused record.
    const summaries = router.output().match(/changes refused; dead-lettered/g) ?? [];
    expect(summaries.length).toBeLessThan(bad.length / 5);
  });
});

async function movedPayloadStore(): Promise<S3ObjectStore> {
  const { s3 } = runtimeSettings();
  return new S3ObjectStore(createS3Client(s3), s3.bucket);
}

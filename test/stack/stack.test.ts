import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { stackEnv, uniqueName } from '../support/env';
import { createTopics, readAll, testKafka } from '../support/kafka';
import { testPool } from '../support/postgres';
import { testS3Client } from '../support/s3';

/** The real components every guarantee is proven against answer as the clients expect. */
describe('local stack', () => {
  it('produces to and consumes from the real broker', async () => {
    const kafka = testKafka();
    const topic = uniqueName('smoke');
    await createTopics(kafka, [{ topic, numPartitions: 2 }]);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello kafka' }] });
    await producer.disconnect();
    const records = await readAll(kafka, topic, 1);
    expect(records.map((r) => r.value)).toEqual(['hello kafka']);
  });

  it('registers and fetches an Avro schema through the Confluent-compatible API', async () => {
    const registry = new SchemaRegistry({ host: stackEnv.SCHEMA_REGISTRY_URL });
    const subject = `${uniqueName('smoke')}-value`;
    const schema = JSON.stringify({
      type: 'record',
      name: 'Smoke',
      namespace: 'tablelane.test',
      fields: [{ name: 'n', type: 'long' }],
    });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
    expect(await registry.getLatestSchemaId(subject)).toBe(id);
    const encoded = await registry.encode(id, { n: 42 });
    expect(encoded[0]).toBe(0); // Confluent wire framing: magic byte, then the schema id
    expect(encoded.readInt32BE(1)).toBe(id);
    expect(await registry.decode(encoded)).toEqual({ n: 42 });
  });

  it('puts and gets an object on the S3 API server', async () => {
    const s3 = testS3Client();
    const key = `smoke/${uniqueName('obj')}.txt`;
    await s3.send(new PutObjectCommand({ Bucket: stackEnv.S3_BUCKET, Key: key, Body: 'hello s3' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: stackEnv.S3_BUCKET, Key: key }));
    expect(await object.Body!.transformToString()).toBe('hello s3');
  });

  it('runs SQL on PostgreSQL', async () => {
    const pool = testPool();
    const { rows } = await pool.query<{ n: number; v: string }>(
      'SELECT 1 + 1 AS n, current_setting($1) AS v',
      ['server_version_num'],
    );
    expect(rows[0]!.n).toBe(2);
    expect(Number(rows[0]!.v)).toBeGreaterThanOrEqual(150000);
  });
});

// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import { createTestTopics, readCommitted, stack, testKafka, writeConfig } from '../router/support/harness';
import { ingestValueSubject } from '@app/contracts';
import { AvroChangeCodec } from '@app/kafka';
import { createTablelaneClient, TablelaneValidationError } from '@app/sdk';
import { describe, expect, it } from 'vitest';

const TABLES = [{ name: 'public.sales', columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] }];

type Rows = { 'public.sales': { id: string | number; qty?: number } };

describe('SDK client', () => {
  it('validates before sending, encodes Avro through the registry, and reuses one connection', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'sdk', { ingest: 2, changes: 1, dlq: 1 });
    const client = createTablelaneClient<Rows>({ config: writeConfig(topics, TABLES) });

    await expect(
      client.send([
        { table: 'public.sales', op: 'upsert', row: { id: 1, qty: 1 } },
        { table: 'public.sales', op: 'upsert', row: { qty: 2 } as Rows['public.sales'] },
      ]),
    ).rejects.toThrow(TablelaneValidationError);

    // Two "warm invocations" on one client: one connection, both acknowledged.
    expect(
      await client.send({
        table: 'public.sales',
        op: 'upsert',
        row: { id: '9007199254740993', qty: 3 },
        id: 'a',
        version: 1,
      }),
    ).toEqual({ sent: 1 });
    expect(await client.send([{ table: 'public.sales', op: 'delete', key: { id: 4 }, id: 'b' }])).toEqual({
      sent: 1,
    });
    await client.flush();
    await client.close();
    await expect(client.send({ table: 'public.sales', op: 'delete', key: { id: 5 } })).rejects.toThrow(
      /closed/,
    );

    const codec = AvroChangeCodec.connect(stack.SCHEMA_REGISTRY_URL, ingestValueSubject(topics.ingest));
    const records = await readCommitted(kafka, topics.ingest, 2, { quietMs: 1000 });
    const decoded = await Promise.all(records.map((r) => codec.decode(r.value!)));
    expect(decoded.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
      { table: 'public.sales', op: 'upsert', row: { id: '9007199254740993', qty: 3 }, id: 'a', version: '1' },
      { table: 'public.sales', op: 'delete', key: { id: 4 }, id: 'b' },
    ]);
    expect(records.map((r) => r.key).sort()).toEqual([
      'public.sales:["4"]',
      'public.sales:["9007199254740993"]',
    ]);
  });
});

import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { bigLong, FramedAvroDecoder } from './framed-avro-decoder';
import type { SchemaRegistryPort } from './schema-registry-client';

const schema = {
  type: 'record',
  name: 'Value',
  fields: [
    { name: 'lsn', type: 'long' },
    { name: 'ts', type: { type: 'long', 'connect.name': 'io.debezium.time.MicroTimestamp' } },
    { name: 'amount', type: { type: 'bytes', 'connect.name': 'org.apache.kafka.connect.data.Decimal' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const registry = (known: Record<number, object>): SchemaRegistryPort => ({
  register: () => Promise.reject(new Error('not used')),
  schemaById: (id) => Promise.resolve(known[id] ? { schema: JSON.stringify(known[id]) } : undefined),
});
const frame = (id: number, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
};

describe('FramedAvroDecoder', () => {
  it('decodes with the writer schema: longs exact as bigint, bytes as Buffers, the schema returned', async () => {
    // Written by a plain Avro writer, as Debezium's converter would: 2^62 + 1 needs all 64 bits.
    const writer = avro.Type.forSchema(schema as avro.Schema, {
      registry: { long: bigLong },
      typeHook: (s) =>
        typeof s === 'object' && (s as { type?: unknown }).type === 'long' ? bigLong : undefined,
    });
    const body = writer.toBuffer({
      lsn: 2n ** 62n + 1n,
      ts: 1_700_000_000_123_456n,
      amount: Buffer.from([0x30, 0x39]),
      note: 'hi',
    });
    const decoded = await new FramedAvroDecoder(registry({ 7: schema })).decode(frame(7, body));
    expect(decoded.value).toEqual({
      lsn: 2n ** 62n + 1n,
      ts: 1_700_000_000_123_456n,
      amount: Buffer.from([0x30, 0x39]),
      note: 'hi',
    });
    expect(decoded.schema).toEqual(schema);
  });

  it('refuses bytes that are not framed Avro, and unknown schema ids', async () => {
    const decoder = new FramedAvroDecoder(registry({}));
    await expect(decoder.decode(Buffer.from('{"a":1}'))).rejects.toThrow(/not in the Avro wire format/);
    await expect(decoder.decode(frame(9, Buffer.from([1])))).rejects.toThrow(/schema id 9 is not known/);
  });

  it('refuses a body the writer schema does not decode', async () => {
    const decoder = new FramedAvroDecoder(registry({ 7: schema }));
    await expect(decoder.decode(frame(7, Buffer.from([0x02])))).rejects.toThrow(
      /does not decode with schema id 7/,
    );
  });
});

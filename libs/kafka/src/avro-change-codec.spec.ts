import { CHANGE_EVENT_AVRO_SCHEMA, ChangeRejected } from '@app/contracts';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroChangeCodec } from './avro-change-codec';
import { RegistryUnavailable, type SchemaRegistryPort } from './schema-registry-client';

/** A registry holding schemas in memory. */
function registry(down = false): SchemaRegistryPort {
  const schemas = new Map<number, string>();
  return {
    register: async (_subject, schema) => {
      schemas.set(7, JSON.stringify(schema));
      return 7;
    },
    schemaById: async (id) => {
      if (down) throw new RegistryUnavailable('connect ECONNREFUSED');
      const schema = schemas.get(id);
      return schema === undefined ? undefined : { schema };
    },
  };
}

const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error instanceof ChangeRejected ? error.code : (error as Error).name;
  }
  return 'ok';
};

describe('AvroChangeCodec', () => {
  it('round-trips a change in the Confluent wire format', async () => {
    const codec = new AvroChangeCodec(registry(), 'tablelane.ingest-value');
    const bytes = await codec.encode({
      table: 'public.sales',
      op: 'upsert',
      row: { id: '9007199254740993', qty: 2 },
      version: 3,
      id: 'e1',
      ts: 1767225600000,
    });
    expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 7]);
    expect(await codec.decode(bytes)).toEqual({
      table: 'public.sales',
      op: 'upsert',
      row: { id: '9007199254740993', qty: 2 },
      version: '3',
      id: 'e1',
      ts: 1767225600000,
    });
  });

  it('tells corrupted bytes and unknown ids (dead letters) from a registry that is down (retry)', async () => {
    const codec = new AvroChangeCodec(registry(), 's');
    const good = await codec.encode({ table: 'public.sales', op: 'delete', key: { id: 1 } });
    const corrupted = Buffer.concat([good.subarray(0, 5), Buffer.from([0x7f, 0xff, 0xff, 0x01])]);
    expect(await codeOf(codec.decode(corrupted))).toBe('AVRO_DECODE_FAILED');
    expect(
      await codeOf(codec.decode(Buffer.concat([good.subarray(0, 5), good.subarray(5), Buffer.from([1])]))),
    ).toBe('AVRO_DECODE_FAILED');
    const unknownId = Buffer.from(good);
    unknownId.writeInt32BE(424242, 1);
    expect(await codeOf(codec.decode(unknownId))).toBe('UNKNOWN_SCHEMA');
    expect(await codeOf(new AvroChangeCodec(registry(true), 's').decode(unknownId))).toBe(
      new RegistryUnavailable('x').name,
    );
  });

  it('gives a wrong magic byte, a foreign schema and invalid UTF-8 codes of their own', async () => {
    const foreign = avro.Type.forSchema({
      type: 'record',
      name: 'Other',
      fields: [{ name: 'n', type: 'int' }],
    });
    const schemas: SchemaRegistryPort = {
      register: async () => 7,
      schemaById: async (id) => ({
        schema: JSON.stringify(id === 8 ? foreign.schema() : CHANGE_EVENT_AVRO_SCHEMA),
      }),
    };
    const codec = new AvroChangeCodec(schemas, 's');
    const good = await codec.encode({ table: 'public.sales', op: 'delete', key: { id: 1 } });
    expect(await codeOf(codec.decode(Buffer.concat([Buffer.from([1]), good.subarray(1)])))).toBe(
      'BAD_MAGIC_BYTE',
    );
    const otherId = Buffer.from(good);
    otherId.writeInt32BE(8, 1);
    expect(await codeOf(codec.decode(otherId))).toBe('INCOMPATIBLE_SCHEMA');
    // The table name "public.sales" with one byte made invalid: avsc would load U+FFFD.
    const broken = Buffer.from(good);
    broken[broken.indexOf('sales')] = 0xff;
    expect(await codeOf(codec.decode(broken))).toBe('INVALID_UTF8');
    // A real U+FFFD that the producer sent is kept.
    const kept = await codec.encode({ table: 'public.sales', op: 'delete', key: { id: '\uFFFD' } });
    expect(await codec.decode(kept)).toMatchObject({ key: { id: '\uFFFD' } });
  });
});

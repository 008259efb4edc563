import { parseConfig } from '@app/config';
import {
  ChangeRejected,
  connectSchemaFromAvro,
  mapDebeziumRecord,
  validateChange,
  type ChangeEvent,
  type DebeziumOutcome,
} from '@app/contracts';
import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bigLong, FramedAvroDecoder, shortestFloat32 } from './framed-avro-decoder';
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

  it('reads floats (a PostgreSQL real) as JsonConverter writes them: the shortest number of that float', async () => {
    const floats = {
      type: 'record',
      name: 'Floats',
      fields: [
        { name: 'ratio', type: ['null', 'float'], default: null },
        { name: 'tagged', type: { type: 'float', 'connect.name': 'x' } },
        { name: 'many', type: { type: 'array', items: 'float' } },
      ],
    };
    // Written by a plain Avro writer: each value rounded to 32 bits
    const body = avro.Type.forSchema(floats as avro.Schema).toBuffer({
      ratio: 0.1,
      tagged: -3.4028234663852886e38,
      many: [1.5, 16777217, 1e-45, 0, -0, Number.NaN, Number.POSITIVE_INFINITY, 123.456],
    });
    const decoded = await new FramedAvroDecoder(registry({ 8: floats })).decode(frame(8, body));
    expect(decoded.value).toEqual({
      ratio: 0.1,
      tagged: -3.4028235e38,
      many: [1.5, 16777216, 1e-45, 0, -0, Number.NaN, Number.POSITIVE_INFINITY, 123.456],
    });
    expect(Object.is((decoded.value as { many: number[] }).many[4], -0)).toBe(true);
    expect(shortestFloat32(Math.fround(0.3))).toBe(0.3);
    expect(Math.fround(shortestFloat32(Math.fround(Math.PI)))).toBe(Math.fround(Math.PI));
  });

  it('refuses bytes that are not framed Avro, and unknown schema ids', async () => {
    const decoder = new FramedAvroDecoder(registry({}));
    await expect(decoder.decode(Buffer.from('{"a":1}'))).rejects.toThrow(/not in the Avro wire format/);
    await expect(decoder.decode(frame(9, Buffer.from([1])))).rejects.toThrow(/schema id 9 is not known/);
  });

  it('refuses a writer schema Avro does not allow (a namespace part starting with a digit), and caches none', async () => {
    // What Debezium registers for topic.prefix `shop.7b9846`: the registry may serve it, avsc
    // (as Avro's own parsers) refuses the name. The record is dead-lettered, not retried.
    const invalid = { type: 'record', name: 'Key', namespace: 'shop.7b9846.public.items', fields: [] };
    let asked = 0;
    const decoder = new FramedAvroDecoder({
      register: () => Promise.reject(new Error('not used')),
      schemaById: () => {
        asked++;
        return Promise.resolve({ schema: JSON.stringify(invalid) });
      },
    });
    const failure = await decoder.decode(frame(3, Buffer.alloc(0))).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChangeRejected);
    expect((failure as ChangeRejected).code).toBe('INCOMPATIBLE_SCHEMA');
    expect((failure as Error).message).toMatch(/schema id 3 is not a valid Avro schema: .*invalid name/);
    await expect(decoder.decode(frame(3, Buffer.alloc(0)))).rejects.toThrow(ChangeRejected);
    expect(asked).toBe(2);
  });

  it('refuses a body the writer schema does not decode', async () => {
    const decoder = new FramedAvroDecoder(registry({ 7: schema }));
    await expect(decoder.decode(frame(7, Buffer.from([0x02])))).rejects.toThrow(
      /does not decode with schema id 7/,
    );
  });
});

/*
 * The records a real Debezium PostgreSQL connector wrote through Apicurio's AvroConverter
 * (test/cdc/debezium-connect.test.ts captures them: Confluent framing, content ids, the writer
 * schemas the ccompat API returned), decoded as the router decodes them and mapped as it maps
 * them: the same changes as from the JSON fixtures (libs/contracts/src/debezium/debezium-fixtures.spec.ts).
 */
describe('the captured Debezium records, Avro (Apicurio AvroConverter)', () => {
  interface AvroFixture {
    topic: string;
    schemas: Record<string, string>;
    records: Record<string, { key: string | null; value: string | null; headers: Record<string, string> }>;
  }
  const fixture = JSON.parse(
    readFileSync(join(__dirname, '../../../test/cdc/fixtures/debezium-postgres-avro.json'), 'utf8'),
  ) as AvroFixture;
  const fixtureRegistry: SchemaRegistryPort = {
    register: () => Promise.reject(new Error('not used')),
    schemaById: (id) => Promise.resolve(fixture.schemas[id] ? { schema: fixture.schemas[id] } : undefined),
  };
  const config = parseConfig({
    tables: [
      {
        name: 'warehouse.items',
        columns: {
          id: 'bigint',
          name: 'text',
          qty: 'integer',
          small: 'integer',
          ratio: 'double',
          price: 'numeric(12,3)',
          amount: 'numeric(38,26)',
          created_at: 'timestamptz',
          local_ts: 'timestamp',
          day: 'date',
          at_time: 'text',
          uid: 'text',
          doc: 'json',
          active: 'boolean',
          big: 'bigint',
          payload: 'text',
          tags: 'json',
          blob: 'text',
          lsn: 'bigint',
        },
        primaryKey: ['id'],
        version: 'lsn',
      },
    ],
  });

  const outcomes: Record<string, DebeziumOutcome> = {};
  const lsns: Record<string, string> = {};
  const asked: string[] = [];
  beforeAll(async () => {
    const decoder = new FramedAvroDecoder(fixtureRegistry);
    const decode = async (raw: string | null) =>
      raw === null ? undefined : decoder.decode(Buffer.from(raw, 'base64'));
    for (const [name, raw] of Object.entries(fixture.records)) {
      const key = await decode(raw.key);
      const value = await decode(raw.value);
      outcomes[name] = mapDebeziumRecord(
        {
          topic: fixture.topic,
          key: key?.value ?? null,
          value: value?.value ?? null,
          headers: raw.headers,
          keySchema: key && connectSchemaFromAvro(key.schema),
          valueSchema: value && connectSchemaFromAvro(value.schema),
        },
        (source) => {
          asked.push(`${source.schema}.${source.table} ${source.topic}`);
          return {
            contract: config.tables[0]!,
            unavailableValue: '__debezium_unavailable_value',
            undeclaredColumns: 'dead-letter',
          };
        },
      );
      const lsn = (value?.value as { source?: { lsn?: bigint } } | undefined)?.source?.lsn;
      if (lsn !== undefined) lsns[name] = lsn.toString();
    }
  });
  const event = (name: string): ChangeEvent => {
    const outcome = outcomes[name]!;
    if (outcome.kind !== 'changes') throw new Error(`${name} was skipped: ${outcome.reason}`);
    return outcome.events[0]!;
  };
  const changed = [
    'snapshotRead',
    'insert',
    'update',
    'updateToastUnchanged',
    'pkChangeCreate',
    'delete',
    'truncate',
  ];

  it('is Confluent-framed: magic byte 0 and the 4-byte id of a schema the fixture has', () => {
    for (const raw of Object.values(fixture.records).flatMap((r) => [r.key, r.value])) {
      if (raw === null) continue;
      const bytes = Buffer.from(raw, 'base64');
      expect(bytes[0]).toBe(0);
      expect(fixture.schemas).toHaveProperty(String(bytes.readInt32BE(1)));
    }
  });

  it('binds every change by source.schema and source.table', () => {
    expect(new Set(asked)).toEqual(new Set(['shop.items cdc.shop.items']));
  });

  it('reads the snapshot row with every logical type, exactly', () => {
    expect(event('snapshotRead')).toMatchObject({
      op: 'upsert',
      row: {
        id: 1,
        name: 'first',
        qty: 2147483647,
        small: -32768,
        ratio: 0.1,
        price: '12345.678',
        amount: '3.14159265358979323846264338',
        created_at: '2024-02-29T12:34:56.789012Z',
        local_ts: '2024-02-29T23:59:59.999999',
        day: '1969-12-31',
        at_time: '13:14:15.161718',
        uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        doc: { a: [1, 2.5, 'x'], n: null },
        active: true,
        big: '9223372036854775807',
        payload: 'AP8Q',
        tags: ['a', 'b c', null],
        blob: 'short text',
        lsn: lsns.snapshotRead,
      },
    });
  });

  it('reads an insert, an update and the extremes of bigint', () => {
    expect(event('insert')).toMatchObject({
      op: 'upsert',
      row: {
        id: 4,
        name: 'fourth',
        created_at: '2024-12-31T23:00:00.000000Z',
        day: '2025-01-01',
        big: '-9223372036854775808',
      },
    });
    expect(event('update')).toMatchObject({ op: 'upsert', row: { id: 4, name: 'fourth, renamed' } });
  });

  it('keeps the TOAST column the update did not log', () => {
    const toast = event('updateToastUnchanged');
    expect(toast).toMatchObject({ op: 'upsert', unchanged: ['blob'], row: { id: 3, qty: 33 } });
    expect(toast.op === 'upsert' && toast.row).not.toHaveProperty('blob');
  });

  it('turns the primary-key update into one move', () => {
    expect(outcomes.pkChangeDelete).toMatchObject({ kind: 'skipped' });
    expect(outcomes.pkChangeTombstone).toMatchObject({ kind: 'skipped' });
    expect(event('pkChangeCreate')).toMatchObject({ op: 'upsert', movedFrom: { id: 4 }, row: { id: 40 } });
  });

  it('deletes by key, skips the tombstone, truncates', () => {
    expect(event('delete')).toEqual(expect.objectContaining({ op: 'delete', key: { id: 2 } }));
    expect(outcomes.deleteTombstone).toMatchObject({ kind: 'skipped' });
    expect(event('truncate')).toEqual(expect.objectContaining({ op: 'truncate', table: 'warehouse.items' }));
  });

  it('versions every change by its LSN, rising in stream order, and validates', () => {
    for (const name of changed) {
      expect(event(name).version).toBe(lsns[name]);
      expect(() => validateChange(config, event(name))).not.toThrow();
    }
    const versions = changed.map((name) => BigInt(lsns[name]!));
    expect([...versions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(versions);
  });
});

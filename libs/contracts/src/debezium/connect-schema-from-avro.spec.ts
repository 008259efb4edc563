import { parseConfig } from '@app/config';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ChangeRejected } from '../error-codes';
import { fieldSchema } from './connect-schema';
import { connectSchemaFromAvro } from './connect-schema-from-avro';
import { mapDebeziumRecord } from './map-debezium-record';

/** Optional, as AvroConverter writes an optional Connect field: a union with null, default null. */
const opt = (name: string, type: unknown) => ({ name, type: ['null', type], default: null });
const semantic = (type: string, name: string) => ({ type, 'connect.version': 1, 'connect.name': name });

/** The writer schema Confluent's AvroConverter registers for a Debezium PostgreSQL envelope. */
const ENVELOPE = {
  type: 'record',
  name: 'Envelope',
  namespace: 'shop.public.items',
  fields: [
    opt('before', {
      type: 'record',
      name: 'Value',
      fields: [
        { name: 'id', type: { type: 'int', 'connect.default': 0 }, default: 0 },
        { name: 'name', type: 'string' },
        opt('small', { type: 'int', 'connect.type': 'int16' }),
        opt('price', {
          type: 'bytes',
          scale: 2,
          precision: 10,
          'connect.version': 1,
          'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
          'connect.name': 'org.apache.kafka.connect.data.Decimal',
          logicalType: 'decimal',
        }),
        opt('big', 'string'),
        opt('updated_at', semantic('string', 'io.debezium.time.ZonedTimestamp')),
        opt('seen_at', semantic('long', 'io.debezium.time.MicroTimestamp')),
        opt('day', semantic('int', 'io.debezium.time.Date')),
        opt('attrs', semantic('string', 'io.debezium.data.Json')),
        opt('tags', { type: 'array', items: ['null', 'string'] }),
        opt('blob', 'bytes'),
        opt('total', 'long'),
      ],
      'connect.name': 'shop.public.items.Value',
    }),
    opt('after', 'Value'),
    {
      name: 'source',
      type: {
        type: 'record',
        name: 'Source',
        namespace: 'io.debezium.connector.postgresql',
        fields: [
          { name: 'version', type: 'string' },
          { name: 'connector', type: 'string' },
          { name: 'ts_ms', type: 'long' },
          {
            name: 'snapshot',
            type: [
              {
                ...semantic('string', 'io.debezium.data.Enum'),
                'connect.parameters': { allowed: 'true,last,false' },
              },
              'null',
            ],
            default: 'false',
          },
          { name: 'db', type: 'string' },
          opt('sequence', 'string'),
          { name: 'schema', type: 'string' },
          { name: 'table', type: 'string' },
          opt('lsn', 'long'),
        ],
        'connect.name': 'io.debezium.connector.postgresql.Source',
      },
    },
    { name: 'op', type: 'string' },
    opt('ts_ms', 'long'),
  ],
  'connect.version': 2,
  'connect.name': 'shop.public.items.Envelope',
};
const KEY = {
  type: 'record',
  name: 'Key',
  namespace: 'shop.public.items',
  fields: [{ name: 'id', type: { type: 'int', 'connect.default': 0 }, default: 0 }],
  'connect.name': 'shop.public.items.Key',
};

describe('connectSchemaFromAvro', () => {
  const schema = connectSchemaFromAvro(ENVELOPE);
  const after = fieldSchema(schema, 'after');

  it('reads records as structs, a union with null as optional, and a named type used again', () => {
    expect(schema).toMatchObject({ type: 'struct', name: 'shop.public.items.Envelope', version: 2 });
    expect(after).toMatchObject({
      type: 'struct',
      name: 'shop.public.items.Value',
      optional: true,
      field: 'after',
    });
    expect(after?.fields?.map((f) => f.field)).toEqual(
      fieldSchema(schema, 'before')?.fields?.map((f) => f.field),
    );
    expect(fieldSchema(schema, 'source')).toMatchObject({ name: 'io.debezium.connector.postgresql.Source' });
  });

  it('keeps the Connect names, parameters and types that say what a value is', () => {
    expect(fieldSchema(after, 'id')).toEqual({ type: 'int32', field: 'id' });
    expect(fieldSchema(after, 'small')).toMatchObject({ type: 'int16', optional: true });
    expect(fieldSchema(after, 'price')).toMatchObject({
      type: 'bytes',
      name: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '2', 'connect.decimal.precision': '10' },
    });
    expect(fieldSchema(after, 'seen_at')).toMatchObject({
      type: 'int64',
      name: 'io.debezium.time.MicroTimestamp',
      version: 1,
    });
    expect(fieldSchema(after, 'tags')).toMatchObject({
      type: 'array',
      items: { type: 'string', optional: true },
    });
    const snapshot = fieldSchema(fieldSchema(schema, 'source'), 'snapshot');
    expect(snapshot).toMatchObject({
      type: 'string',
      optional: true,
      parameters: { allowed: 'true,last,false' },
    });
  });

  it("reads Avro's own logical types when the Connect properties are left out", () => {
    const plain = connectSchemaFromAvro({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 3 } },
        { name: 'on', type: { type: 'int', logicalType: 'date' } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
        { name: 'tags', type: { type: 'map', values: 'long' } },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A'] } },
        { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 2 } },
      ],
    });
    expect(plain.fields).toEqual([
      {
        type: 'bytes',
        name: 'org.apache.kafka.connect.data.Decimal',
        parameters: { scale: '3' },
        field: 'amount',
      },
      { type: 'int32', name: 'org.apache.kafka.connect.data.Date', field: 'on' },
      { type: 'int64', name: 'io.debezium.time.MicroTimestamp', field: 'at' },
      { type: 'map', keys: { type: 'string' }, values: { type: 'int64' }, field: 'tags' },
      { type: 'string', field: 'kind' },
      { type: 'bytes', field: 'hash' },
    ]);
  });

  it.each<[string, unknown]>([
    ['a union of two types', { type: 'record', name: 'R', fields: [{ name: 'x', type: ['int', 'string'] }] }],
    ['a name it never defined', { type: 'record', name: 'R', fields: [{ name: 'x', type: 'Missing' }] }],
    ['a record without fields', { type: 'record', name: 'R' }],
    ['a field without a name', { type: 'record', name: 'R', fields: [{ type: 'int' }] }],
    ['a record without a name', { type: 'record', fields: [] }],
    ['no type at all', 42],
    [
      'a type named like an Object property',
      { type: 'record', name: 'R', fields: [{ name: 'x', type: 'constructor' }] },
    ],
  ])('refuses %s (INCOMPATIBLE_SCHEMA)', (_what, writer) => {
    expect(() => connectSchemaFromAvro(writer)).toThrow(ChangeRejected);
    try {
      connectSchemaFromAvro(writer);
    } catch (error) {
      expect((error as ChangeRejected).code).toBe('INCOMPATIBLE_SCHEMA');
    }
  });
});

describe('mapDebeziumRecord on Avro records', () => {
  const config = parseConfig({
    tables: [
      {
        name: 'shop.items',
        columns: {
          small: 'integer',
          id: 'integer',
          name: 'text',
          source_lsn: 'bigint',
          total: 'bigint',
          price: 'numeric(10,2)',
          tags: 'json',
          blob: 'text',
          big: 'text',
          day: 'date',
          seen_at: 'timestamp',
          updated_at: 'timestamptz',
          attrs: 'json',
        },
        primaryKey: ['id'],
        version: 'source_lsn',
      },
    ],
  });
  const envelope = avro.Type.forSchema(ENVELOPE as avro.Schema);
  const keyType = avro.Type.forSchema(KEY as avro.Schema);
  /** A value written and read back by avsc, as the router's decoder gives it (Buffers, records). */
  const roundTrip = (type: avro.Type, value: unknown) => type.fromBuffer(type.toBuffer(value));
  const after = {
    id: 7,
    name: 'lamp',
    small: 2,
    price: Buffer.from([0x04, 0xe2]),
    big: '__debezium_unavailable_value',
    updated_at: '2026-12-01T10:15:30.123456Z',
    seen_at: 1772600767123456,
    day: 20788,
    attrs: '{"n": 5}',
    tags: ['a', null],
    blob: Buffer.from('__debezium_unavailable_value'),
    total: 42,
  };
  const source = { version: '3.6.1.Final', connector: 'postgresql', ts_ms: 1764601200123, snapshot: 'false' };
  const value = roundTrip(envelope, {
    before: null,
    after,
    source: { ...source, db: 'shop', sequence: null, schema: 'public', table: 'items', lsn: 24023128 },
    op: 'u',
    ts_ms: 1764601200456,
  }) as { source: { lsn: unknown } };
  // The router's decoder reads every long as a bigint.
  value.source.lsn = 24023128n;

  const map = (decoded: unknown) =>
    mapDebeziumRecord(
      {
        topic: 'shop.public.items',
        key: roundTrip(keyType, { id: 7 }),
        value: decoded,
        headers: {},
        valueSchema: connectSchemaFromAvro(ENVELOPE),
        keySchema: connectSchemaFromAvro(KEY),
      },
      () => ({
        contract: config.tables[0]!,
        unavailableValue: '__debezium_unavailable_value',
        undeclaredColumns: 'dead-letter',
      }),
    );

  it('converts a writer schema once, for every record it wrote', () => {
    expect(connectSchemaFromAvro(ENVELOPE)).toBe(connectSchemaFromAvro(ENVELOPE));
  });

  it('deletes by the Avro record key when before is null', () => {
    const deleted = roundTrip(envelope, {
      ...value,
      op: 'd',
      after: null,
      source: { ...value.source, lsn: 1 },
    });
    expect(map(deleted)).toMatchObject({
      kind: 'changes',
      events: [{ op: 'delete', key: { id: 7 }, version: '1' }],
    });
  });

  it('reads values by the converted writer schema: the same change as from JSON', () => {
    const outcome = map(value);
    expect(outcome).toEqual({
      kind: 'changes',
      events: [
        {
          table: 'shop.items',
          op: 'upsert',
          row: {
            small: 2,
            id: 7,
            name: 'lamp',
            price: '12.50',
            updated_at: '2026-12-01T10:15:30.123456Z',
            seen_at: '2026-03-04T05:06:07.123456',
            day: '2026-12-01',
            attrs: { n: 5 },
            tags: ['a', null],
            total: 42,
            source_lsn: '24023128',
          },
          unchanged: ['blob', 'big'],
          version: '24023128',
          ts: 1764601200123,
        },
      ],
    });
  });
});

// Before kafkajs: loading @app/kafka installs its kafkajs patches (test/support/kafka.ts).
import { avroWriterType, FramedAvroDecoder, type DecodedAvro } from '@app/kafka';
import { connectSchemaFromAvro, type ConnectSchema } from '@app/contracts';
import type { Kafka } from 'kafkajs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSourceSchema,
  startDebeziumConnector,
  type ConnectFormat,
  type DebeziumConnector,
  type SourceSchema,
} from '../support/debezium-connect';
import { stackEnv, uniqueName } from '../support/env';
import { readAll, testKafka } from '../support/kafka';

/**
 * The CDC infrastructure works end to end: a real Debezium PostgreSQL connector (pgoutput) in a
 * Kafka Connect worker reads the stack's CDC source and writes Debezium's change events to the
 * stack's broker, as JsonConverter writes them with schemas and without, and as Apicurio's
 * AvroConverter writes them (Confluent-framed Avro, writer schemas in the stack's registry,
 * decoded here by the router's FramedAvroDecoder through the ccompat API). The records it sees
 * are the fixtures of test/cdc/fixtures/ (CDC_FIXTURES=write rewrites them).
 */

const FIXTURES = join(__dirname, 'fixtures');
/** CDC_FIXTURES=write rewrites every fixture, CDC_FIXTURES=write:avro (or write:schemas,schemaless) some. */
const WRITE_FIXTURES = /^write(:|$)/.test(process.env.CDC_FIXTURES ?? '');
const writesFixture = (mode: string) =>
  WRITE_FIXTURES &&
  (process.env.CDC_FIXTURES === 'write' || process.env.CDC_FIXTURES!.slice(6).split(',').includes(mode));
/** The names the fixtures use for this run's unique schema and topic prefix. */
const FIXTURE_SCHEMA = 'shop';
const FIXTURE_PREFIX = 'cdc';

/** Column types whose Debezium logical types the mapping must handle. */
const TABLE = (schema: string) => `CREATE TABLE "${schema}".items (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  qty integer,
  small smallint,
  ratio double precision,
  price numeric(12,3),
  amount numeric,
  created_at timestamptz,
  local_ts timestamp,
  day date,
  at_time time,
  uid uuid,
  doc jsonb,
  active boolean,
  big bigint,
  payload bytea,
  tags text[],
  blob text
)`;

const ROW_1 = `(1, 'first', 2147483647, -32768, 0.1, 12345.678, 3.14159265358979323846264338,
  '2024-02-29 12:34:56.789012+00', '2024-02-29 23:59:59.999999', '1969-12-31', '13:14:15.161718',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.5, "x"], "n": null}', true,
  9223372036854775807, '\\x00ff10', '{a,"b c",NULL}', 'short text')`;

/** The changes made once both connectors stream, in order. */
const CHANGES = [
  `INSERT INTO items (id, name, qty, created_at, day, active, big) VALUES
     (4, 'fourth', 4, '2025-01-01 00:00:00+01', '2025-01-01', false, -9223372036854775808)`,
  `UPDATE items SET name = 'fourth, renamed' WHERE id = 4`,
  // The TOASTed blob of row 3 is left as it is: REPLICA IDENTITY DEFAULT does not log it.
  `UPDATE items SET qty = 33 WHERE id = 3`,
  `UPDATE items SET id = 40 WHERE id = 4`,
  `DELETE FROM items WHERE id = 2`,
  `TRUNCATE items`,
];

type Mode = 'schemas' | 'schemaless' | 'avro';
const MODES: Mode[] = ['schemas', 'schemaless', 'avro'];
const FORMATS: Record<Mode, ConnectFormat> = { schemas: 'json', schemaless: 'json-schemaless', avro: 'avro' };

/** A record's key and value as UTF-8 text (JSON), or base64 of the framed bytes (Avro). */
interface RawRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** The Avro keys and values of the run, decoded by the router's decoder, by their base64. */
const decodedAvro = new Map<string, DecodedAvro>();

/** An Avro value as plain data: records as objects, longs as numbers where exact (bytes stay Buffers). */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, plain(v)]));
  return value;
}

function avroOf(raw: string): DecodedAvro {
  const decoded = decodedAvro.get(raw);
  if (!decoded) throw new Error(`an Avro record not decoded: ${raw.slice(0, 20)}…`);
  return decoded;
}

interface Envelope {
  op: 'r' | 'c' | 'u' | 'd' | 't';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
}

/**
 * The payload of a message: JsonConverter's `payload` with schemas, the message itself without,
 * the decoded Avro datum as plain data.
 */
function payloadOf<T>(raw: string | null, mode: Mode): T | null {
  if (raw === null) return null;
  if (mode === 'avro') return plain(avroOf(raw).value) as T;
  const parsed = JSON.parse(raw) as { payload: T } & T;
  return mode === 'schemas' ? parsed.payload : parsed;
}

const keyId = (r: RawRecord, mode: Mode) => payloadOf<{ id: number }>(r.key, mode)?.id ?? null;
const envelope = (r: RawRecord, mode: Mode) => payloadOf<Envelope>(r.value, mode);

/** The records the fixtures keep, each found by what it is. */
const ROLES: Record<string, (r: RawRecord, mode: Mode) => boolean> = {
  snapshotRead: (r, m) => envelope(r, m)?.op === 'r' && keyId(r, m) === 1,
  insert: (r, m) => envelope(r, m)?.op === 'c' && keyId(r, m) === 4,
  update: (r, m) => envelope(r, m)?.op === 'u' && keyId(r, m) === 4,
  updateToastUnchanged: (r, m) => envelope(r, m)?.op === 'u' && keyId(r, m) === 3,
  pkChangeDelete: (r, m) => envelope(r, m)?.op === 'd' && keyId(r, m) === 4,
  pkChangeTombstone: (r, m) => r.value === null && keyId(r, m) === 4,
  pkChangeCreate: (r, m) => envelope(r, m)?.op === 'c' && keyId(r, m) === 40,
  delete: (r, m) => envelope(r, m)?.op === 'd' && keyId(r, m) === 2,
  deleteTombstone: (r, m) => r.value === null && keyId(r, m) === 2,
  truncate: (r, m) => envelope(r, m)?.op === 't',
};

function find(records: RawRecord[], mode: Mode, role: string): RawRecord {
  const found = records.filter((r) => ROLES[role]!(r, mode));
  expect(found, `${mode}: exactly one ${role} record`).toHaveLength(1);
  return found[0]!;
}

/** JSON (or an Avro datum) with every leaf replaced by its type: what a fixture and a live record share. */
function shape(value: unknown): unknown {
  if (value === null) return null;
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

interface Fixture {
  about: string;
  topic: string;
  table: string;
  snapshotRows: string[];
  changes: string[];
  /** Avro: the writer schemas (as `GET /schemas/ids/{id}` gives their text) by the ids the records carry. */
  schemas?: Record<string, string>;
  records: Record<string, RawRecord>;
}

const fixturePath = (mode: Mode) => join(FIXTURES, `debezium-postgres-${mode}.json`);

/** Every record of a topic from the beginning, keys and values as base64 of their bytes. */
async function readAllRaw(kafka: Kafka, topic: string, expected: number, timeoutMs: number) {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const records: RawRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push({
        key: message.key?.toString('base64') ?? null,
        value: message.value?.toString('base64') ?? null,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (records.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await consumer.disconnect();
  return records;
}

/** Strings renamed throughout a decoded Avro datum (records become plain objects). */
function renamed(value: unknown, rename: (text: string) => string): unknown {
  if (typeof value === 'string') return rename(value);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map((v) => renamed(v, rename));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamed(v, rename)]));
}

/**
 * A framed Avro key or value with this run's unique names as the fixtures spell them: decoded
 * with its writer schema, renamed (the schema's namespaces and names, the datum's strings) and
 * written again with the renamed schema under the same id. Everything else is byte for byte
 * what the converter wrote.
 */
function renamedAvro(
  raw: string,
  rename: (text: string) => string,
): { raw: string; id: number; schema: string } {
  const decoded = avroOf(raw);
  const schema = rename(JSON.stringify(decoded.schema));
  const body = avroWriterType(JSON.parse(schema)).toBuffer(renamed(decoded.value, rename));
  const header = Buffer.from(raw, 'base64').subarray(0, 5);
  return { raw: Buffer.concat([header, body]).toString('base64'), id: header.readInt32BE(1), schema };
}

/** A fixture's Avro key or value, decoded with the fixture's writer schemas. */
function fixtureAvro(fixture: Fixture, raw: string): { value: unknown; schema: string } {
  const bytes = Buffer.from(raw, 'base64');
  const schema = fixture.schemas?.[String(bytes.readInt32BE(1))];
  if (schema === undefined) throw new Error(`the fixture has no schema of id ${bytes.readInt32BE(1)}`);
  return { value: avroWriterType(JSON.parse(schema)).fromBuffer(bytes.subarray(5)), schema };
}

/** A struct's fields as `type` or `type name`, as the schema checks compare them. */
const fieldTypes = (fields: { field?: string; type: string; name?: string }[]) =>
  Object.fromEntries(fields.map((f) => [f.field, f.name ? `${f.type} ${f.name}` : f.type]));

describe('Debezium PostgreSQL connector (Kafka Connect standalone) on the CDC source', () => {
  let schema: SourceSchema;
  const connectors: Partial<Record<Mode, DebeziumConnector>> = {};
  const records: Partial<Record<Mode, RawRecord[]>> = {};
  const kafka = testKafka('cdc-smoke');
  let rows: string[];

  /** This run's unique names as the fixtures spell them. */
  const normalize = (text: string, mode: Mode): string =>
    text.split(schema.name).join(FIXTURE_SCHEMA).split(connectors[mode]!.topicPrefix).join(FIXTURE_PREFIX);

  beforeAll(async () => {
    const started = Date.now();
    schema = await createSourceSchema('shop');
    const client = await schema.pool.connect();
    try {
      const q = (sql: string) => client.query(sql);
      await q(`SET search_path TO "${schema.name}"`);
      await q(TABLE(schema.name));
      await q('ALTER TABLE items REPLICA IDENTITY DEFAULT');
      // Row 3's blob is > 8 KB of hex digits from random(): stored out of line (TOAST).
      rows = [
        ROW_1,
        `(2, 'second, all nulls', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        `(3, 'third, toasted', 3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          (SELECT string_agg(md5(i::text || random()::text), '') FROM generate_series(1, 320) i))`,
      ];
      await q(`INSERT INTO items VALUES ${rows.join(',\n')}`);
      const toasted = await q(
        "SELECT length(blob) AS length, pg_relation_size(reltoastrelid) AS toast FROM items, pg_class WHERE id = 3 AND oid = 'items'::regclass",
      );
      expect(toasted.rows[0]).toMatchObject({ length: 10240 });
      expect(Number(toasted.rows[0].toast)).toBeGreaterThan(0);

      const base = uniqueName('dbz');
      // allSettled: afterAll stops every worker that started, even when the other one failed
      const starts = await Promise.allSettled(
        MODES.map(async (mode) => {
          connectors[mode] = await startDebeziumConnector({
            name: `${base}-${mode}`,
            topicPrefix: `${base}_${mode}`,
            tables: [`${schema.name}.items`],
            format: FORMATS[mode],
          });
        }),
      );
      for (const start of starts) if (start.status === 'rejected') throw start.reason;
      console.log(`cdc smoke: all ${MODES.length} connectors streaming after ${Date.now() - started} ms`);
      for (const sql of CHANGES) await q(sql);
    } finally {
      client.release();
    }
    const topics = MODES.map((mode) => connectors[mode]!.topic(`${schema.name}.items`));
    await Promise.all(MODES.map((mode, i) => connectors[mode]!.waitForTopic(topics[i]!)));
    // 3 snapshot reads, c, u, u, d + tombstone + c (key change), d + tombstone, t
    await Promise.all(
      MODES.map(async (mode, i) => {
        records[mode] =
          mode === 'avro'
            ? await readAllRaw(kafka, topics[i]!, 12, 30_000)
            : await readAll(kafka, topics[i]!, 12, 30_000);
      }),
    );
    // The router's decoder, its writer schemas fetched by id from the ccompat API.
    const decoder = FramedAvroDecoder.connect(stackEnv.SCHEMA_REGISTRY_URL);
    for (const r of records.avro!)
      for (const raw of [r.key, r.value])
        if (raw !== null) decodedAvro.set(raw, await decoder.decode(Buffer.from(raw, 'base64')));
    console.log(`cdc smoke: all records read after ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    await Promise.all(Object.values(connectors).map((c) => c.stop()));
    await schema?.drop();
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: Object.values(connectors).map((c) => c.topic(`${schema.name}.items`)) })
      .catch(() => undefined);
    await admin.disconnect();
  });

  it.each(MODES)('%s: one record per change, in commit order, on the table topic', (mode) => {
    const seen = records[mode]!.map((r) => {
      const e = envelope(r, mode);
      return `${e?.op ?? 'tombstone'}:${keyId(r, mode) ?? '-'}`;
    });
    expect(seen).toEqual([
      'r:1',
      'r:2',
      'r:3',
      'c:4',
      'u:4',
      'u:3',
      'd:4',
      'tombstone:4',
      'c:40',
      'd:2',
      'tombstone:2',
      // a truncate has no key
      't:-',
    ]);
    const snapshot = records[mode]!.slice(0, 3).map((r) => envelope(r, mode)!.source.snapshot);
    expect(snapshot).toEqual(['first', 'true', 'last']);
  });

  it.each(MODES)(
    '%s: updates and deletes carry the key only in `before` (REPLICA IDENTITY DEFAULT)',
    (mode) => {
      const update = envelope(find(records[mode]!, mode, 'update'), mode)!;
      expect(update.before).toBeNull();
      expect(update.after).toMatchObject({ id: 4, name: 'fourth, renamed', qty: 4, active: false });
      const deleted = envelope(find(records[mode]!, mode, 'delete'), mode)!;
      expect(deleted.after).toBeNull();
      expect(deleted.before).toMatchObject({ id: 2, name: '', qty: null });
    },
  );

  it.each(MODES)('%s: a primary-key change is d (newkey header) + tombstone + c (oldkey header)', (mode) => {
    // The header holds the key's payload, whatever the key converter's schemas.enable.
    const keyOf = (id: number) => ({ id });
    const d = find(records[mode]!, mode, 'pkChangeDelete');
    const tombstone = find(records[mode]!, mode, 'pkChangeTombstone');
    const c = find(records[mode]!, mode, 'pkChangeCreate');
    expect(JSON.parse(d.headers['__debezium.newkey']!)).toEqual(keyOf(40));
    expect(JSON.parse(tombstone.headers['__debezium.newkey']!)).toEqual(keyOf(40));
    expect(JSON.parse(c.headers['__debezium.oldkey']!)).toEqual(keyOf(4));
    expect(envelope(c, mode)!.after).toMatchObject({ id: 40, name: 'fourth, renamed' });
  });

  it.each(MODES)('%s: a TRUNCATE is a `t` event without key, before or after', (mode) => {
    const t = find(records[mode]!, mode, 'truncate');
    expect(t.key).toBeNull();
    const e = envelope(t, mode)!;
    expect(e.before).toBeNull();
    expect(e.after).toBeNull();
    expect(e.source).toMatchObject({ schema: schema.name, table: 'items' });
  });

  it.each(MODES)('%s: an unchanged TOASTed column is the unavailable-value placeholder', (mode) => {
    const e = envelope(find(records[mode]!, mode, 'updateToastUnchanged'), mode)!;
    expect(e.before).toBeNull();
    expect(e.after).toMatchObject({ id: 3, qty: 33, blob: '__debezium_unavailable_value' });
  });

  it('schemas: logical types name what the JSON values encode', () => {
    const value = JSON.parse(find(records.schemas!, 'schemas', 'snapshotRead').value!) as {
      schema: { fields: { field: string; fields?: { field: string; type: string; name?: string }[] }[] };
    };
    const after = value.schema.fields.find((f) => f.field === 'after')!.fields!;
    const types = Object.fromEntries(after.map((f) => [f.field, f.name ? `${f.type} ${f.name}` : f.type]));
    expect(types).toEqual({
      id: 'int64',
      name: 'string',
      qty: 'int32',
      small: 'int16',
      ratio: 'double',
      price: 'bytes org.apache.kafka.connect.data.Decimal',
      amount: 'struct io.debezium.data.VariableScaleDecimal',
      created_at: 'string io.debezium.time.ZonedTimestamp',
      local_ts: 'int64 io.debezium.time.MicroTimestamp',
      day: 'int32 io.debezium.time.Date',
      at_time: 'int64 io.debezium.time.MicroTime',
      uid: 'string io.debezium.data.Uuid',
      doc: 'string io.debezium.data.Json',
      active: 'boolean',
      big: 'int64',
      payload: 'bytes',
      tags: 'array',
      blob: 'string',
    });
    // 2^63 - 1 as JSON text: JSON.parse would round it, the mapping must not.
    expect(find(records.schemas!, 'schemas', 'snapshotRead').value).toContain('"big":9223372036854775807');
  });

  it('avro: Confluent framing, ids the ccompat API resolves, subjects <topic>-key and -value', async () => {
    const framed = records.avro!.flatMap((r) => [r.key, r.value]).filter((raw) => raw !== null);
    // 11 keys (the truncate has none) and 10 values (two tombstones)
    expect(framed).toHaveLength(21);
    for (const raw of framed) {
      const bytes = Buffer.from(raw, 'base64');
      expect(bytes[0]).toBe(0);
      const id = bytes.readInt32BE(1);
      const response = await fetch(`${stackEnv.SCHEMA_REGISTRY_URL}/schemas/ids/${id}`);
      expect(response.status, `schema id ${id}`).toBe(200);
    }
    const topic = connectors.avro!.topic(`${schema.name}.items`);
    const subjects = (await (await fetch(`${stackEnv.SCHEMA_REGISTRY_URL}/subjects`)).json()) as string[];
    expect(subjects.filter((s) => s.startsWith(topic)).sort()).toEqual([`${topic}-key`, `${topic}-value`]);
  });

  it('avro: the writer schema reads as the Connect schema JsonConverter writes', () => {
    const json = JSON.parse(find(records.schemas!, 'schemas', 'snapshotRead').value!) as {
      schema: { fields: { field: string; fields?: { field: string; type: string; name?: string }[] }[] };
    };
    const avroRecord = find(records.avro!, 'avro', 'snapshotRead');
    const connect = connectSchemaFromAvro(avroOf(avroRecord.value!).schema);
    const afterOf = (s: ConnectSchema) => s.fields!.find((f) => f.field === 'after')!.fields!;
    expect(fieldTypes(afterOf(connect))).toEqual(
      fieldTypes(json.schema.fields.find((f) => f.field === 'after')!.fields!),
    );
    const key = connectSchemaFromAvro(avroOf(avroRecord.key!).schema);
    expect(fieldTypes(key.fields!)).toEqual({ id: 'int64' });
    // Avro longs decode exact (bigint), bytes as Buffers
    const after = (avroOf(avroRecord.value!).value as { after: Record<string, unknown> }).after;
    expect(after.big).toBe(9223372036854775807n);
    expect(after.payload).toEqual(Buffer.from([0x00, 0xff, 0x10]));
  });

  it.each(MODES)('%s: the fixtures are what this Debezium sends', async (mode) => {
    const live: Record<string, RawRecord> = {};
    const liveSchemas: Record<string, string> = {};
    const rename = (text: string) => normalize(text, mode);
    const part = (raw: string | null): string | null => {
      if (raw === null || mode !== 'avro') return raw === null ? null : rename(raw);
      const avro = renamedAvro(raw, rename);
      liveSchemas[String(avro.id)] = avro.schema;
      return avro.raw;
    };
    for (const role of Object.keys(ROLES)) {
      const r = find(records[mode]!, mode, role);
      live[role] = {
        key: part(r.key),
        value: part(r.value),
        headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, rename(v)])),
      };
    }
    if (writesFixture(mode)) {
      const about =
        mode === 'avro'
          ? `Raw Kafka records of Debezium with Apicurio's AvroConverter 2.6.13.Final (Confluent framing: magic byte 0, ` +
            `the 4-byte content id, the Avro body): key and value as base64 of their bytes, headers as UTF-8 text, and ` +
            `the writer schemas by id as GET /apis/ccompat/v7/schemas/ids/{id} gave them. From ` +
            `test/cdc/debezium-connect.test.ts (CDC_FIXTURES=write rewrites them); the run's unique names are renamed ` +
            `to cdc/shop in the schemas and the data (decoded, renamed, written again with the same writer schema). ` +
            `Debezium 3.6.1.Final, Kafka Connect 4.1.1, PostgreSQL 15, plugin.name=pgoutput, skipped.operations=none, ` +
            `REPLICA IDENTITY DEFAULT. Decode longs as bigint: "big" is 2^63 - 1.`
          : `Raw Kafka records (key, value and headers as UTF-8 text) of Debezium ${mode === 'schemas' ? 'with' : 'without'} ` +
            `JsonConverter schemas, from test/cdc/debezium-connect.test.ts (CDC_FIXTURES=write rewrites them). ` +
            `Debezium 3.6.1.Final, Kafka Connect 4.1.1, PostgreSQL 15, plugin.name=pgoutput, skipped.operations=none, ` +
            `REPLICA IDENTITY DEFAULT. Parse values with a parser that keeps int64 exact: "big" is 2^63 - 1.`;
      const fixture: Fixture = {
        about,
        topic: `${FIXTURE_PREFIX}.${FIXTURE_SCHEMA}.items`,
        table: normalize(TABLE(schema.name), mode),
        snapshotRows: rows.map((r) => r.replace(/\s+/g, ' ')),
        changes: CHANGES.map((c) => c.replace(/\s+/g, ' ')),
        ...(mode === 'avro' ? { schemas: liveSchemas } : {}),
        records: live,
      };
      const { format } = await import('prettier');
      writeFileSync(fixturePath(mode), await format(JSON.stringify(fixture), { parser: 'json' }));
    }
    const fixture = JSON.parse(readFileSync(fixturePath(mode), 'utf8')) as Fixture;
    expect(Object.keys(fixture.records)).toEqual(Object.keys(live));
    for (const [role, want] of Object.entries(fixture.records)) {
      const got = live[role]!;
      if (mode === 'avro') {
        const liveFixture = { ...fixture, schemas: liveSchemas };
        for (const side of ['key', 'value'] as const) {
          expect(got[side] === null, `${role} ${side} present`).toBe(want[side] === null);
          if (got[side] === null || want[side] === null) continue;
          const mine = fixtureAvro(liveFixture, got[side]);
          const theirs = fixtureAvro(fixture, want[side]);
          expect(JSON.parse(mine.schema), `${role} ${side} writer schema`).toEqual(JSON.parse(theirs.schema));
          expect(shape(plain(mine.value)), `${role} ${side}`).toEqual(shape(plain(theirs.value)));
        }
        expect(Object.keys(got.headers).sort(), `${role} headers`).toEqual(Object.keys(want.headers).sort());
        continue;
      }
      const parse = (raw: string | null) => (raw === null ? null : (JSON.parse(raw) as unknown));
      expect(shape(parse(got.key)), `${role} key`).toEqual(shape(parse(want.key)));
      expect(shape(parse(got.value)), `${role} value`).toEqual(shape(parse(want.value)));
      expect(Object.keys(got.headers).sort(), `${role} headers`).toEqual(Object.keys(want.headers).sort());
      if (mode === 'schemas') {
        const schemaOf = (raw: string | null) => (parse(raw) as { schema?: unknown } | null)?.schema;
        expect(schemaOf(got.key), `${role} key schema`).toEqual(schemaOf(want.key));
        expect(schemaOf(got.value), `${role} value schema`).toEqual(schemaOf(want.value));
      }
    }
  });
});

import { parseConfig, type TableContract } from '@app/config';
import { describe, expect, it } from 'vitest';
import { ChangeRejected } from '../error-codes';
import { validateChange } from '../validate-change';
import type { ConnectSchema } from './connect-schema';
import { parseExactJson } from './exact-json';
import {
  mapDebeziumRecord,
  type DebeziumBinding,
  type DebeziumOutcome,
  type DebeziumRecord,
  type DebeziumSourceTable,
} from './map-debezium-record';

/*
 * Records as Debezium 3.x's PostgreSQL connector (pgoutput) writes them through JsonConverter
 * for this source table:
 *   CREATE TABLE public.items (id integer PRIMARY KEY, name text NOT NULL, qty integer,
 *     price numeric(10,2), big text, updated_at timestamptz, seen_at timestamp, day date,
 *     attrs jsonb, flag boolean, uid uuid, total bigint, internal_note text)
 */

const config = parseConfig({
  tables: [
    {
      name: 'shop.items',
      columns: {
        id: 'integer',
        source_lsn: 'bigint',
        name: 'text',
        qty: 'integer',
        price: 'numeric(10,2)',
        total: 'bigint',
        big: 'text',
        attrs: 'json',
        flag: 'boolean',
        uid: 'text',
        updated_at: 'timestamptz',
        seen_at: 'timestamp',
        day: 'date',
      },
      primaryKey: ['id'],
      version: 'source_lsn',
    },
    { name: 'shop.unversioned', columns: { id: 'integer' }, primaryKey: ['id'] },
    {
      name: 'shop.small_version',
      columns: { id: 'integer', v: 'integer' },
      primaryKey: ['id'],
      version: 'v',
    },
  ],
});
const contract = (name: string): TableContract => config.tables.find((t) => t.name === name)!;
const items = contract('shop.items');

const optional = (
  field: string,
  type: ConnectSchema['type'],
  name?: string,
  parameters?: Record<string, string>,
) => ({
  type,
  optional: true,
  field,
  ...(name ? { name, version: 1 } : {}),
  ...(parameters ? { parameters } : {}),
});
const ROW_SCHEMA = {
  type: 'struct',
  optional: true,
  name: 'shop.public.items.Value',
  fields: [
    { type: 'int32', optional: false, default: 0, field: 'id' },
    { type: 'string', optional: false, field: 'name' },
    optional('qty', 'int32'),
    optional('price', 'bytes', 'org.apache.kafka.connect.data.Decimal', {
      scale: '2',
      'connect.decimal.precision': '10',
    }),
    optional('big', 'string'),
    optional('updated_at', 'string', 'io.debezium.time.ZonedTimestamp'),
    optional('seen_at', 'int64', 'io.debezium.time.MicroTimestamp'),
    optional('day', 'int32', 'io.debezium.time.Date'),
    optional('attrs', 'string', 'io.debezium.data.Json'),
    optional('flag', 'boolean'),
    optional('uid', 'string', 'io.debezium.data.Uuid'),
    optional('total', 'int64'),
    optional('internal_note', 'string'),
  ],
};
const ENVELOPE_SCHEMA = {
  type: 'struct',
  optional: false,
  name: 'shop.public.items.Envelope',
  version: 2,
  fields: [
    { ...ROW_SCHEMA, field: 'before' },
    { ...ROW_SCHEMA, field: 'after' },
    {
      type: 'struct',
      optional: false,
      name: 'io.debezium.connector.postgresql.Source',
      field: 'source',
      fields: [],
    },
    { type: 'string', optional: false, field: 'op' },
    optional('ts_ms', 'int64'),
  ],
};
const KEY_SCHEMA = {
  type: 'struct',
  optional: false,
  name: 'shop.public.items.Key',
  fields: [{ type: 'int32', optional: false, default: 0, field: 'id' }],
};

const SOURCE = {
  version: '3.6.1.Final',
  connector: 'postgresql',
  name: 'shop',
  ts_ms: 1764601200123,
  snapshot: 'false',
  db: 'shop',
  sequence: '["24023119","24023128"]',
  ts_us: 1764601200123456,
  ts_ns: 1764601200123456000,
  schema: 'public',
  table: 'items',
  txId: 771,
  lsn: 24023128,
  xmin: null,
};

/** The after image of row 7 with every column set, as JSON text would carry it. */
const AFTER = {
  id: 7,
  name: 'lamp',
  qty: 3,
  price: 'BOI=', // 12.50
  big: 'x'.repeat(20),
  updated_at: '2026-12-01T10:15:30.123456Z',
  seen_at: 1772600767123456, // 2026-03-04 05:06:07.123456
  day: 20788, // 2026-12-01
  attrs: '{"n": 5, "tags": ["a", "b"]}',
  flag: true,
  uid: '3b241101-e2bb-4255-8caf-4136c566a962',
  total: 9007199254740993n,
  internal_note: 'not loaded',
};
const ROW = {
  id: 7,
  name: 'lamp',
  qty: 3,
  price: '12.50',
  big: 'x'.repeat(20),
  updated_at: '2026-12-01T10:15:30.123456Z',
  seen_at: '2026-03-04T05:06:07.123456',
  day: '2026-12-01',
  attrs: { n: 5, tags: ['a', 'b'] },
  flag: true,
  uid: '3b241101-e2bb-4255-8caf-4136c566a962',
  total: '9007199254740993',
  source_lsn: '24023128',
};

type Payload = Record<string, unknown>;
const payload = (op: string, fields: Payload = {}): Payload => ({
  before: null,
  after: null,
  source: SOURCE,
  transaction: null,
  op,
  ts_ms: 1764601200456,
  ...fields,
});

/** A record as the router hands it over: JSON text parsed exactly, with or without schemas. */
function record(
  value: Payload | null,
  options: {
    schemas?: boolean;
    key?: Payload | null;
    headers?: DebeziumRecord['headers'];
    topic?: string;
  } = {},
): DebeziumRecord {
  const schemas = options.schemas ?? true;
  const wrap = (schema: unknown, body: unknown) => (schemas ? { schema, payload: body } : body);
  const text = (v: unknown) =>
    JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `@${x}@` : x)).replace(/"@(-?\d+)@"/g, '$1');
  const key = options.key === undefined ? { id: 7 } : options.key;
  return {
    topic: options.topic ?? 'shop.public.items',
    key: key === null ? null : parseExactJson(text(wrap(KEY_SCHEMA, key))),
    value: value === null ? null : parseExactJson(text(wrap(ENVELOPE_SCHEMA, value))),
    headers: options.headers ?? {},
  };
}

const binding = (over: Partial<DebeziumBinding> = {}): DebeziumBinding => ({
  contract: items,
  unavailableValue: '__debezium_unavailable_value',
  undeclaredColumns: 'ignore',
  ...over,
});
const map = (rec: DebeziumRecord, bind: Partial<DebeziumBinding> = {}) =>
  mapDebeziumRecord(rec, () => binding(bind));

function onlyEvent(outcome: DebeziumOutcome) {
  if (outcome.kind !== 'changes') throw new Error(`skipped: ${outcome.reason}`);
  expect(outcome.events).toHaveLength(1);
  return outcome.events[0]!;
}

function rejection(run: () => unknown): ChangeRejected {
  try {
    run();
  } catch (error) {
    if (error instanceof ChangeRejected) return error;
    throw error;
  }
  throw new Error('expected a ChangeRejected');
}

describe('mapDebeziumRecord', () => {
  describe.each([true, false])('JSON with schemas %s', (schemas) => {
    it.each(['c', 'r', 'u'])(
      'upserts the after image of op %s, versioned by the LSN and timed by the commit',
      (op) => {
        const event = onlyEvent(map(record(payload(op, { after: AFTER }), { schemas })));
        expect(event).toEqual({
          table: 'shop.items',
          op: 'upsert',
          row: ROW,
          version: '24023128',
          ts: 1764601200123,
        });
        // The router validates it as every change: the values are in the forms the contract takes.
        expect(validateChange(config, event).values).toMatchObject({
          price: '12.50',
          total: '9007199254740993',
          attrs: '{"n":5,"tags":["a","b"]}',
          source_lsn: '24023128',
        });
      },
    );

    it('deletes by the key in before, never loading the rest of before', () => {
      // REPLICA IDENTITY DEFAULT: before holds the key; NOT NULL columns come as 0 or "".
      const before = { ...Object.fromEntries(Object.keys(AFTER).map((k) => [k, null])), id: 7, name: '' };
      const event = onlyEvent(map(record(payload('d', { before }), { schemas })));
      expect(event).toEqual({
        table: 'shop.items',
        op: 'delete',
        key: { id: 7 },
        version: '24023128',
        ts: 1764601200123,
      });
    });

    it('deletes by the record key when before is null', () => {
      const event = onlyEvent(map(record(payload('d'), { schemas, key: { id: 8 } })));
      expect(event).toMatchObject({ op: 'delete', key: { id: 8 } });
    });

    it('moves a row whose primary key changed: the c half names the old key, the d half is skipped', () => {
      const oldKey = schemas ? JSON.stringify({ schema: KEY_SCHEMA, payload: { id: 7 } }) : '{"id":7}';
      const newKey = schemas ? JSON.stringify({ schema: KEY_SCHEMA, payload: { id: 1007 } }) : '{"id":1007}';
      const first = map(
        record(payload('d', { before: { ...AFTER, name: '' } }), {
          schemas,
          headers: { '__debezium.newkey': newKey },
        }),
      );
      expect(first).toEqual({
        kind: 'skipped',
        reason: expect.stringMatching(/primary-key update.*carries the move/),
      });
      const after = { ...AFTER, id: 1007, big: '__debezium_unavailable_value' };
      const event = onlyEvent(
        map(
          record(payload('c', { after }), {
            schemas,
            key: { id: 1007 },
            headers: { '__debezium.oldkey': oldKey },
          }),
        ),
      );
      expect(event).toMatchObject({
        op: 'upsert',
        movedFrom: { id: 7 },
        unchanged: ['big'],
        row: { id: 1007 },
      });
      expect(validateChange(config, event)).toMatchObject({ movedFrom: { id: '7' }, unchanged: ['big'] });
    });
  });

  it('reads a key beyond 2^53 in the old-key header exactly', () => {
    const wide = {
      ...items,
      columns: [...items.columns, { name: 'tenant', type: { kind: 'bigint' as const } }],
    };
    const event = onlyEvent(
      map(
        record(payload('c', { after: { ...AFTER, tenant: 1 } }), {
          headers: { '__debezium.oldkey': '{"id":7,"tenant":9007199254740993}' },
        }),
        { contract: { ...wide, primaryKey: ['id', 'tenant'] } },
      ),
    );
    expect(event).toMatchObject({ movedFrom: { id: 7, tenant: '9007199254740993' } });
  });

  it('truncates the bound table, versioned by the LSN', () => {
    const value = { source: SOURCE, op: 't', ts_ms: 1764601200456, transaction: null };
    const event = onlyEvent(map(record(value, { key: null })));
    expect(event).toEqual({ table: 'shop.items', op: 'truncate', version: '24023128', ts: 1764601200123 });
    expect(validateChange(config, event)).toMatchObject({ op: 'truncate', version: '24023128' });
  });

  describe('skips records that change no row', () => {
    it.each<[string, DebeziumRecord]>([
      ['a tombstone', record(null)],
      ['a tombstone with a null schema', { ...record(null), value: { schema: null, payload: null } }],
      [
        'a logical decoding message',
        record({
          op: 'm',
          ts_ms: 1,
          source: { ...SOURCE, schema: '', table: '' },
          message: { prefix: 'p', content: 'eA==' },
        }),
      ],
      [
        'a heartbeat',
        record({ ts_ms: 1764601200456 }, { schemas: false, topic: '__debezium-heartbeat.shop', key: null }),
      ],
      [
        'a schema change event',
        record({
          source: SOURCE,
          databaseName: 'shop',
          ddl: 'ALTER TABLE items ADD c int',
          tableChanges: [],
        }),
      ],
      [
        'transaction metadata',
        record({ status: 'BEGIN', id: '771:24023128', event_count: null, data_collections: null }),
      ],
    ])('%s', (_what, rec) => {
      let bound = false;
      const outcome = mapDebeziumRecord(rec, () => {
        bound = true;
        return binding();
      });
      expect(outcome).toEqual({ kind: 'skipped', reason: expect.any(String) });
      expect(bound).toBe(false);
    });
  });

  describe('TOAST columns the source did not log', () => {
    it('leaves them out of the row and lists them as unchanged', () => {
      const after = { ...AFTER, big: '__debezium_unavailable_value', attrs: '__debezium_unavailable_value' };
      const event = onlyEvent(map(record(payload('u', { after }))));
      expect(event).toMatchObject({ op: 'upsert', unchanged: ['big', 'attrs'] });
      expect(event.op === 'upsert' && Object.keys(event.row)).not.toContain('big');
    });

    it('uses the configured placeholder', () => {
      const after = { ...AFTER, big: '<toast>' };
      expect(onlyEvent(map(record(payload('u', { after })), { unavailableValue: '<toast>' }))).toMatchObject({
        unchanged: ['big'],
      });
    });

    it('refuses a key column given as the placeholder', () => {
      const after = { ...AFTER, id: '__debezium_unavailable_value' };
      const error = rejection(() => map(record(payload('u', { after }))));
      expect(error.issues).toEqual([expect.objectContaining({ code: 'MISSING_KEY', field: 'after.id' })]);
    });
  });

  describe('source columns the contract does not declare', () => {
    it('drops them with undeclaredColumns: ignore', () => {
      const event = onlyEvent(map(record(payload('c', { after: AFTER }))));
      expect(event.op === 'upsert' && event.row).not.toHaveProperty('internal_note');
    });

    it('refuses the change, naming each, with undeclaredColumns: dead-letter', () => {
      const after = { ...AFTER, secret: 's' };
      const error = rejection(() =>
        map(record(payload('c', { after })), { undeclaredColumns: 'dead-letter' }),
      );
      expect(error.issues.map((i) => [i.code, i.field])).toEqual([
        ['UNKNOWN_COLUMN', 'after.internal_note'],
        ['UNKNOWN_COLUMN', 'after.secret'],
      ]);
    });
  });

  describe('binding the source table', () => {
    const seen = (rec: DebeziumRecord) => {
      const asked: DebeziumSourceTable[] = [];
      mapDebeziumRecord(rec, (source) => {
        asked.push(source);
        return binding();
      });
      return asked;
    };

    it('asks for source.schema and source.table, and the topic', () => {
      expect(seen(record(payload('c', { after: AFTER })))).toEqual([
        { schema: 'public', table: 'items', topic: 'shop.public.items' },
      ]);
    });

    it("takes MySQL's database as the schema", () => {
      const mysql = {
        connector: 'mysql',
        db: 'inventory',
        table: 'items',
        file: 'mysql-bin.000003',
        pos: 154,
        row: 0,
      };
      expect(seen(record(payload('c', { after: AFTER, source: mysql }), { topic: 't' }))).toEqual([
        { schema: 'inventory', table: 'items', topic: 't' },
      ]);
    });

    it('refuses a table no contract is bound to, saying how to bind it', () => {
      const error = rejection(() =>
        mapDebeziumRecord(record(payload('c', { after: AFTER })), () => undefined),
      );
      expect(error.code).toBe('UNKNOWN_TABLE');
      expect(error.message).toMatch(
        /public\.items \(topic shop\.public\.items\).*\{source: public\.items, table: <contract>\}/,
      );
    });

    it.each(['shop.unversioned', 'shop.small_version'])(
      'refuses %s: CDC needs a bigint or numeric version column',
      (name) => {
        const error = rejection(() =>
          map(record(payload('c', { after: { id: 1 } })), { contract: contract(name) }),
        );
        expect(error.code).toBe('INVALID_VERSION');
        expect(error.message).toMatch(/bigint or numeric version column/);
      },
    );
  });

  it('reports every malformed value of a row at once, naming each column', () => {
    const after = { ...AFTER, price: 'not base64!', day: 'Monday' };
    const error = rejection(() => map(record(payload('u', { after }))));
    expect(error.issues.map((i) => [i.code, i.field])).toEqual([
      ['INVALID_VALUE', 'after.price'],
      ['INVALID_VALUE', 'after.day'],
    ]);
  });

  describe('refuses malformed envelopes', () => {
    it.each<[string, unknown, string, string]>([
      ['a value that is not an object', 'hello', 'NOT_AN_OBJECT', 'value'],
      ['an array', [1], 'NOT_AN_OBJECT', 'value'],
      ['a flattened row (ExtractNewRecordState)', { id: 7, name: 'lamp' }, 'INVALID_OP', 'op'],
      ['an unknown op', payload('x', { after: AFTER }), 'INVALID_OP', 'op'],
      ['an op that is not text', payload('1', { op: 1 }), 'INVALID_OP', 'op'],
      ['no source block', payload('c', { after: AFTER, source: undefined }), 'NOT_AN_OBJECT', 'source'],
      ['a c without after', payload('c'), 'NOT_AN_OBJECT', 'after'],
      ['an r whose after is not an object', payload('r', { after: 'row' }), 'NOT_AN_OBJECT', 'after'],
      ['a u without after', payload('u', { before: AFTER }), 'NOT_AN_OBJECT', 'after'],
      ['a d whose before is not an object', payload('d', { before: 7 }), 'NOT_AN_OBJECT', 'before'],
    ])('%s', (_what, value, code, field) => {
      const error = rejection(() => map({ topic: 'shop.public.items', key: null, value, headers: {} }));
      expect(error.issues).toEqual([expect.objectContaining({ code, field })]);
    });

    it('a d with no key in before or the record key', () => {
      const error = rejection(() => map(record(payload('d'), { key: null })));
      expect(error.issues).toEqual([expect.objectContaining({ code: 'MISSING_KEY', field: 'before.id' })]);
      expect(error.message).toMatch(/before or key/);
    });

    it('an old-key header that is not JSON, or not a key', () => {
      const move = (header: string) => () =>
        map(record(payload('c', { after: AFTER }), { headers: { '__debezium.oldkey': header } }));
      expect(rejection(move('Struct{id=7}')).issues).toEqual([
        expect.objectContaining({ code: 'MALFORMED_JSON', field: 'headers.__debezium.oldkey' }),
      ]);
      expect(rejection(move('7')).code).toBe('NOT_AN_OBJECT');
      expect(rejection(move('{"other":1}')).code).toBe('MISSING_KEY');
    });
  });
});

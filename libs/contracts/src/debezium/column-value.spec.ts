import { parseColumnType, type ColumnContract } from '@app/config';
import { describe, expect, it } from 'vitest';
import { coerceValue } from '../coerce-value';
import { ChangeRejected } from '../error-codes';
import { columnValue, DEFAULT_SCHEMALESS_RULES, type SchemalessRules } from './column-value';
import type { ConnectSchema, ConnectType } from './connect-schema';

const column = (declared: string): ColumnContract => ({ name: 'c', type: parseColumnType(declared)! });
const schema = (type: ConnectType, name?: string, parameters?: Record<string, string>): ConnectSchema => ({
  type,
  optional: true,
  field: 'c',
  ...(name ? { name } : {}),
  ...(parameters ? { parameters } : {}),
});
const decimal = (scale: string) => schema('bytes', 'org.apache.kafka.connect.data.Decimal', { scale });

/** The value for a column, read with a schema (or without), and checked to load as it is. */
function read(
  declared: string,
  raw: unknown,
  withSchema?: ConnectSchema,
  rules: Partial<SchemalessRules> = {},
) {
  return columnValue(raw, withSchema, column(declared), 'after.c', { ...DEFAULT_SCHEMALESS_RULES, ...rules });
}
const loads = (declared: string, value: unknown) => coerceValue(parseColumnType(declared)!, value);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ChangeRejected)) throw error;
    expect(error.issues).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', field: expect.stringMatching(/^after\.c/) }),
    ]);
    return error.message;
  }
  throw new Error('expected a ChangeRejected');
}

describe('columnValue', () => {
  it('passes null and absent values as null', () => {
    expect(read('text', null, schema('string'))).toBeNull();
    expect(read('date', undefined)).toBeNull();
  });

  describe("Decimal (base64 or Buffer, big-endian two's complement, scale from the schema)", () => {
    it.each<[string, string, unknown, string]>([
      ['12.50', '2', 'BOI=', 'numeric(10,2)'],
      ['-12.50', '2', '+x4=', 'numeric(10,2)'],
      ['0.00', '2', 'AA==', 'numeric(10,2)'],
      ['0.01', '2', Buffer.from([1]), 'numeric(10,2)'],
      ['1.28', '2', 'AIA=', 'numeric(10,2)'],
      ['-1.28', '2', 'gA==', 'numeric(10,2)'],
      ['-1.29', '2', '/38=', 'numeric(10,2)'],
      ['22300', '0', 'Vxw=', 'numeric(10,0)'],
      ['999999999999999999.999999', '6', 'ANPCG87M7aD///8=', 'numeric(38,6)'],
      ['12500', '-2', Buffer.from([0x7d]), 'numeric(10,0)'],
    ])('%s (scale %s)', (expected, scale, raw, declared) => {
      expect(read(declared, raw, decimal(scale))).toBe(expected);
      expect(loads(declared, expected)).toEqual({ ok: true, value: expected });
    });

    it('takes a JSON number as it is (JsonConverter decimal.format=NUMERIC)', () => {
      expect(read('numeric(10,2)', 12.5, decimal('2'))).toBe(12.5);
    });

    it.each<[string, unknown, ConnectSchema]>([
      ['not base64', '12.50', decimal('2')],
      ['empty bytes', '', decimal('2')],
      ['no scale', 'BOI=', schema('bytes', 'org.apache.kafka.connect.data.Decimal')],
      ['a scale too large', 'BOI=', decimal('100000')],
      ['not bytes', true, decimal('2')],
    ])('refuses %s', (_what, raw, withSchema) => {
      expect(refusal(() => read('numeric(10,2)', raw, withSchema))).toMatch(/^after\.c /);
    });
  });

  describe('VariableScaleDecimal (numeric without a declared scale)', () => {
    const variable = schema('struct', 'io.debezium.data.VariableScaleDecimal');
    it.each([variable, undefined])('reads {scale, value} with schema %#', (withSchema) => {
      expect(read('numeric(20,4)', { scale: 3, value: 'BOI=' }, withSchema)).toBe('1.250');
      expect(read('numeric(20,4)', { scale: 0, value: Buffer.from([0xff]) }, withSchema)).toBe('-1');
    });

    it('refuses a damaged one', () => {
      expect(refusal(() => read('numeric(20,4)', { scale: 'x', value: 'BOI=' }, variable))).toMatch(
        /after\.c\.scale/,
      );
      expect(refusal(() => read('numeric(20,4)', { scale: 1 }, variable))).toMatch(/after\.c\.value/);
      expect(refusal(() => read('numeric(20,4)', 'BOI=', variable))).toMatch(/VariableScaleDecimal/);
    });
  });

  describe('numeric without a schema, as decimal.handling.mode wrote it', () => {
    it('reads precise (the default) base64 with the contract column scale', () => {
      expect(read('numeric(10,2)', 'BOI=')).toBe('12.50');
    });

    it('refuses decimal text under precise, saying which setting reads it', () => {
      expect(refusal(() => read('numeric(10,2)', '12.50'))).toMatch(/schemaless\.decimalHandling/);
    });

    it.each<[SchemalessRules['decimalHandling'], unknown]>([
      ['string', '12.50'],
      ['string', '1250'],
      ['double', 12.5],
      ['precise', 12.5],
    ])('passes %s values (%s) as they are', (decimalHandling, raw) => {
      expect(read('numeric(10,2)', raw, undefined, { decimalHandling })).toBe(raw);
    });
  });

  describe('timestamps from epoch numbers, exact to the microsecond', () => {
    it.each<[string, unknown, string]>([
      ['io.debezium.time.MicroTimestamp', 1772600767123456, '2026-03-04T05:06:07.123456'],
      ['io.debezium.time.MicroTimestamp', 1772600767123456n, '2026-03-04T05:06:07.123456'],
      ['io.debezium.time.MicroTimestamp', -1, '1969-12-31T23:59:59.999999'],
      ['io.debezium.time.Timestamp', 946684799000, '1999-12-31T23:59:59.000000'],
      ['org.apache.kafka.connect.data.Timestamp', 946684799123, '1999-12-31T23:59:59.123000'],
      ['io.debezium.time.NanoTimestamp', 1772600767123456000n, '2026-03-04T05:06:07.123456'],
      ['io.debezium.time.NanoTimestamp', '1772600767123456789', '2026-03-04T05:06:07.123456789'],
    ])('%s %s', (name, raw, expected) => {
      expect(read('timestamp', raw, schema('int64', name))).toBe(expected);
    });

    it('reads them as UTC for a timestamptz column', () => {
      const value = read('timestamptz', 1772600767123456, schema('int64', 'io.debezium.time.MicroTimestamp'));
      expect(value).toBe('2026-03-04T05:06:07.123456Z');
      expect(loads('timestamptz', value)).toMatchObject({ ok: true });
    });

    it('writes what the warehouse cannot hold, for validation to refuse (infinity, nanoseconds)', () => {
      const infinity = read(
        'timestamp',
        9223372036854775807n,
        schema('int64', 'io.debezium.time.MicroTimestamp'),
      );
      expect(loads('timestamp', infinity)).toMatchObject({ ok: false });
      const nanos = read(
        'timestamp',
        1772600767123456789n,
        schema('int64', 'io.debezium.time.NanoTimestamp'),
      );
      expect(loads('timestamp', nanos)).toMatchObject({ ok: false });
    });

    it('refuses a JSON number that lost digits, and one that is not whole', () => {
      const nano = schema('int64', 'io.debezium.time.NanoTimestamp');
      expect(refusal(() => read('timestamp', Number('1772600767123456789'), nano))).toMatch(
        /beyond 2\^53.*parseExactJson/,
      );
      expect(refusal(() => read('timestamp', 1.5, nano))).toMatch(/whole number/);
    });

    it('leaves the epoch number as it is for a bigint column', () => {
      expect(read('bigint', 1772600767123456, schema('int64', 'io.debezium.time.MicroTimestamp'))).toBe(
        1772600767123456,
      );
    });

    it('passes ZonedTimestamp text as it is', () => {
      const zoned = schema('string', 'io.debezium.time.ZonedTimestamp');
      expect(read('timestamptz', '2026-12-01T10:15:30.5+05:30', zoned)).toBe('2026-12-01T10:15:30.5+05:30');
    });

    it.each<[SchemalessRules['timestampUnit'], number | bigint, string]>([
      ['microseconds', 1772600767123456, '2026-03-04T05:06:07.123456'],
      ['milliseconds', 1772600767123, '2026-03-04T05:06:07.123000'],
      ['nanoseconds', 1772600767123456000n, '2026-03-04T05:06:07.123456'],
    ])('without a schema, reads numbers in the binding unit (%s)', (timestampUnit, raw, expected) => {
      expect(read('timestamp', raw, undefined, { timestampUnit })).toBe(expected);
      expect(read('timestamptz', raw, undefined, { timestampUnit })).toBe(`${expected}Z`);
      expect(read('timestamptz', '2026-12-01T10:15:30Z')).toBe('2026-12-01T10:15:30Z');
    });
  });

  describe('dates and times', () => {
    it.each(['io.debezium.time.Date', 'org.apache.kafka.connect.data.Date'])(
      '%s: days since 1970',
      (name) => {
        expect(read('date', 20788, schema('int32', name))).toBe('2026-12-01');
        expect(read('date', -1, schema('int32', name))).toBe('1969-12-31');
      },
    );

    it('without a schema, reads a number for a date column as days', () => {
      expect(read('date', 20788)).toBe('2026-12-01');
      expect(read('date', '2026-12-01')).toBe('2026-12-01');
    });

    it.each<[string, unknown, string]>([
      ['io.debezium.time.MicroTime', 37800123456, '10:30:00.123456'],
      ['io.debezium.time.Time', 37800123, '10:30:00.123000'],
      ['org.apache.kafka.connect.data.Time', 0, '00:00:00.000000'],
      ['io.debezium.time.NanoTime', 37800123456789n, '10:30:00.123456789'],
      // MySQL TIME is a duration: beyond a day, or negative.
      ['io.debezium.time.MicroTime', 90000000000, '25:00:00.000000'],
      ['io.debezium.time.MicroTime', -5400000000, '-01:30:00.000000'],
    ])('%s %s as text', (name, raw, expected) => {
      expect(read('text', raw, schema('int64', name))).toBe(expected);
    });

    it('passes ZonedTime text as it is', () => {
      expect(read('text', '10:30:00.123456Z', schema('string', 'io.debezium.time.ZonedTime'))).toBe(
        '10:30:00.123456Z',
      );
    });

    it('drops the Z that time.precision.mode=isostring puts on local dates and timestamps', () => {
      expect(read('date', '2026-12-01Z', schema('string', 'io.debezium.time.IsoDate'))).toBe('2026-12-01');
      expect(read('date', '2026-12-01Z')).toBe('2026-12-01');
      const iso = schema('string', 'io.debezium.time.IsoTimestamp');
      expect(read('timestamp', '2026-03-04T05:06:07.123456Z', iso)).toBe('2026-03-04T05:06:07.123456');
    });
  });

  describe('json', () => {
    const json = schema('string', 'io.debezium.data.Json');
    it.each([json, undefined])(
      'parses io.debezium.data.Json text for a json column (schema %#)',
      (withSchema) => {
        expect(read('json', '{"n": 5, "tags": ["a"]}', withSchema)).toEqual({ n: 5, tags: ['a'] });
        expect(read('json', 'null', withSchema)).toBeNull();
      },
    );

    it('keeps the text for a text column', () => {
      expect(read('text', '{"n": 5}', json)).toBe('{"n": 5}');
    });

    it('refuses text that is not JSON', () => {
      expect(refusal(() => read('json', '{"n": ', json))).toMatch(/not JSON text/);
    });

    it('converts arrays, maps and structs part by part', () => {
      const prices: ConnectSchema = { type: 'array', items: decimal('2') };
      expect(read('json', ['BOI=', null], prices)).toEqual(['12.50', null]);
      const days: ConnectSchema = {
        type: 'map',
        keys: { type: 'string' },
        values: schema('int32', 'io.debezium.time.Date'),
      };
      expect(read('json', { start: 0 }, days)).toEqual({ start: '1970-01-01' });
      const geometry: ConnectSchema = {
        type: 'struct',
        name: 'io.debezium.data.geometry.Geometry',
        fields: [
          { type: 'bytes', field: 'wkb' },
          { type: 'int32', optional: true, field: 'srid' },
        ],
      };
      expect(read('json', { wkb: Buffer.from([1, 2]), srid: 4326, stray: 1 }, geometry)).toEqual({
        wkb: 'AQI=',
        srid: 4326,
      });
      expect(refusal(() => read('json', ['x'], prices))).toMatch(/after\.c\[0\]/);
    });

    it('converts schemaless structured values to JSON values', () => {
      expect(read('json', { id: 9007199254740993n, small: 5n, raw: Buffer.from('hi') })).toEqual({
        id: '9007199254740993',
        small: 5,
        raw: 'aGk=',
      });
    });
  });

  describe('other types', () => {
    it.each<[string, unknown, ConnectSchema | undefined, unknown]>([
      ['bigint', 9007199254740993n, schema('int64'), '9007199254740993'],
      ['bigint', 42n, schema('int64'), 42],
      ['bigint', '9007199254740993', undefined, '9007199254740993'],
      ['integer', 7, schema('int32'), 7],
      ['double', 1.5, schema('double'), 1.5],
      ['numeric(10,2)', '12.50', schema('string'), '12.50'],
      ['boolean', false, schema('boolean'), false],
      [
        'text',
        '3b241101-e2bb-4255-8caf-4136c566a962',
        schema('string', 'io.debezium.data.Uuid'),
        '3b241101-e2bb-4255-8caf-4136c566a962',
      ],
      ['text', 'red', schema('string', 'io.debezium.data.Enum'), 'red'],
      ['text', Buffer.from('hi'), schema('bytes'), 'aGk='],
      ['text', 'aGk=', schema('bytes'), 'aGk='],
      ['text', Buffer.from('hi'), undefined, 'aGk='],
    ])('%s from %s', (declared, raw, withSchema, expected) => {
      expect(read(declared, raw, withSchema)).toEqual(expected);
      expect(loads(declared, expected)).toMatchObject({ ok: true });
    });

    it('reads a schema named like an Object property as a plain value', () => {
      expect(read('bigint', 5, schema('int64', 'constructor'))).toBe(5);
      expect(read('text', 'x', schema('string', '__proto__'))).toBe('x');
    });

    it('passes a value that does not fit the column, for validation to refuse with its reason', () => {
      const value = read('date', '2026-12-01T10:15:30Z', schema('string', 'io.debezium.time.ZonedTimestamp'));
      expect(loads('date', value)).toMatchObject({ ok: false });
    });
  });
});

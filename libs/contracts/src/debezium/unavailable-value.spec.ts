import { describe, expect, it } from 'vitest';
import type { ConnectSchema } from './connect-schema';
import { unavailableTest } from './unavailable-value';

const PLACEHOLDER = '__debezium_unavailable_value';
const BYTES = Buffer.from(PLACEHOLDER);
const BASE64 = 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==';
const bytes: ConnectSchema = { type: 'bytes' };
const text: ConnectSchema = { type: 'string' };
const array = (items: ConnectSchema): ConnectSchema => ({ type: 'array', items });
const unavailable = unavailableTest(PLACEHOLDER);

describe('unavailableTest', () => {
  it.each<[string, unknown, ConnectSchema | undefined]>([
    ['text, json, xml, bytea in hex mode', PLACEHOLDER, text],
    ['bytea in Avro', BYTES, bytes],
    ['bytea in JSON', BASE64, bytes],
    ['bytea in JSON without a schema', BASE64, undefined],
    ['text[]', [PLACEHOLDER], array(text)],
    ['bytea[] in Avro', [BYTES], array(bytes)],
    ['bytea[] in JSON', [BASE64], array(bytes)],
    ['integer[] and date[]', [...BYTES], array({ type: 'int32' })],
    ['bigint[] in Avro', [...BYTES].map(BigInt), array({ type: 'int64' })],
    // UUID.nameUUIDFromBytes(placeholder bytes), as Debezium's own tests (DecoderDifferences) have it
    [
      'uuid[]',
      ['b68a35a7-17ad-35b3-af2a-ae46edb4545a'],
      array({ type: 'string', name: 'io.debezium.data.Uuid' }),
    ],
    ['hstore as a map', { [PLACEHOLDER]: PLACEHOLDER }, { type: 'map' }],
    [
      'hstore as JSON text',
      `{"${PLACEHOLDER}":"${PLACEHOLDER}"}`,
      { type: 'string', name: 'io.debezium.data.Json' },
    ],
  ])('recognizes the placeholder of %s', (_what, raw, schema) => {
    expect(unavailable(raw, schema)).toBe(true);
  });

  it.each<[string, unknown, ConnectSchema | undefined]>([
    ['other text', 'lamp', text],
    ['null', null, text],
    ['the base64 form in a text column', BASE64, text],
    ['other bytes', Buffer.from('lamp'), bytes],
    ['a longer array', [PLACEHOLDER, PLACEHOLDER], array(text)],
    ['other numbers', [...BYTES].map((b) => b + 1), array({ type: 'int32' })],
    ['another map', { [PLACEHOLDER]: 'x' }, { type: 'map' }],
    ['a map with more keys', { [PLACEHOLDER]: PLACEHOLDER, a: 'b' }, { type: 'map' }],
    ['a number', 95, { type: 'int32' }],
  ])('does not mistake %s for it', (_what, raw, schema) => {
    expect(unavailable(raw, schema)).toBe(false);
  });

  it('takes any placeholder, with its bytes as Java writes them (signed)', () => {
    const custom = unavailableTest('¤');
    expect(custom('¤', text)).toBe(true);
    expect(custom([-62, -92], array({ type: 'int32' }))).toBe(true);
    expect(custom(PLACEHOLDER, text)).toBe(false);
    expect(unavailableTest(PLACEHOLDER)).toBe(unavailable);
  });
});

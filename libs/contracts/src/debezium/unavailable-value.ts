import { createHash } from 'node:crypto';
import type { ConnectSchema } from './connect-schema';
import { isFields } from './debezium-input';

/**
 * Every form Debezium's PostgreSQL connector gives `unavailable.value.placeholder` for a value
 * it did not log (an unchanged TOAST column), by column type (UnchangedToastedPlaceholder):
 * - text, varchar, json/jsonb, xml, and bytea with `binary.handling.mode=hex`: the text itself;
 * - bytea: the placeholder's UTF-8 bytes (a Buffer in Avro, base64 in JSON);
 * - text[], varchar[], json[]: a one-element array of the text; bytea[]: of the bytes;
 * - integer[], bigint[], date[]: the placeholder's bytes as numbers (Java's signed bytes);
 * - uuid[]: a one-element array of the name-based UUID of the bytes (UUID.nameUUIDFromBytes);
 * - hstore: the map {placeholder: placeholder}, or its JSON text with `hstore.handling.mode=json`.
 * bytea with `binary.handling.mode=base64` or `base64-url-safe` has no placeholder: Debezium
 * writes null (and logs a warning), which cannot be told from a real null, so keep `bytes` (the
 * default) or `hex` for tables with bytea columns.
 */
export type UnavailableTest = (raw: unknown, schema: ConnectSchema | undefined) => boolean;

const tests = new Map<string, UnavailableTest>();

/** The test for one placeholder (built once per placeholder text). */
export function unavailableTest(placeholder: string): UnavailableTest {
  let test = tests.get(placeholder);
  if (!test) {
    test = buildTest(placeholder);
    tests.set(placeholder, test);
  }
  return test;
}

function buildTest(placeholder: string): UnavailableTest {
  const bytes = Buffer.from(placeholder, 'utf8');
  const base64 = bytes.toString('base64');
  const signedBytes = [...bytes].map((b) => (b > 127 ? b - 256 : b));
  const uuid = nameUuid(bytes);
  const hstoreJson = JSON.stringify({ [placeholder]: placeholder });

  const isBytes = (v: unknown, schema: ConnectSchema | undefined) =>
    v instanceof Uint8Array
      ? bytes.equals(v)
      : v === base64 && (schema === undefined || schema.type === 'bytes');
  const isElement = (v: unknown, schema: ConnectSchema | undefined) =>
    v === placeholder || v === uuid || isBytes(v, schema);

  return (raw, schema) => {
    if (raw === placeholder || raw === hstoreJson || isBytes(raw, schema)) return true;
    if (Array.isArray(raw)) {
      if (raw.length === 1) return isElement(raw[0], schema?.items);
      return raw.length === signedBytes.length && raw.every((v, i) => Number(v) === signedBytes[i]);
    }
    if (isFields(raw)) {
      const keys = Object.keys(raw);
      return keys.length === 1 && keys[0] === placeholder && raw[placeholder] === placeholder;
    }
    return false;
  };
}

/** Java's UUID.nameUUIDFromBytes: an MD5 (version 3) UUID. */
function nameUuid(bytes: Buffer): string {
  const md5 = createHash('md5').update(bytes).digest();
  md5[6] = (md5[6]! & 0x0f) | 0x30;
  md5[8] = (md5[8]! & 0x3f) | 0x80;
  const hex = md5.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

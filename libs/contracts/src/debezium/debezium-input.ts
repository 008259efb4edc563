import { ChangeRejected, type ChangeErrorCode } from '../error-codes';

/** A decoded struct: a JSON object or an Avro record (avsc decodes records to class instances). */
export type Fields = Record<string, unknown>;

export function isFields(value: unknown): value is Fields {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

export function refuse(code: ChangeErrorCode, field: string | undefined, message: string): never {
  throw new ChangeRejected([field === undefined ? { code, message } : { code, field, message }]);
}

/** A malformed Debezium value: the source data itself, not the contract, is at fault. */
export function malformed(field: string, message: string): never {
  return refuse('INVALID_VALUE', field, `${field} ${message}`);
}

/**
 * An exact integer: a bigint (Avro longs, parseExactJson), a JSON number below 2^53, or digit
 * text. A larger JSON number already lost digits when it was parsed, so it is refused.
 */
export function integerIn(raw: unknown, field: string): bigint {
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return BigInt(raw);
  if (typeof raw === 'number' && Number.isInteger(raw))
    return malformed(
      field,
      `is ${raw}, beyond 2^53: it lost digits when its JSON was parsed (use parseExactJson)`,
    );
  return malformed(field, `must be a whole number, not ${shown(raw)}`);
}

/** Padded standard base64, as Java's encoder (and so JsonConverter) writes it. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes as Avro gives them (a Buffer) or as JsonConverter writes them (padded base64 text). */
export function bytesIn(raw: unknown, field: string): Uint8Array {
  if (raw instanceof Uint8Array) return raw;
  // Buffer.from(…, 'base64') skips what is not base64, so a damaged value is checked first.
  if (typeof raw === 'string' && BASE64.test(raw)) return Buffer.from(raw, 'base64');
  return malformed(field, `must be bytes (base64 text in JSON), not ${shown(raw)}`);
}

/** A value for a message: short, and never a thrown TypeError for a bigint or bytes. */
export function shown(raw: unknown): string {
  if (raw instanceof Uint8Array) return `${raw.length} bytes`;
  if (typeof raw === 'bigint') return raw.toString();
  if (Array.isArray(raw)) return 'an array';
  if (isFields(raw)) return 'an object';
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

import type { ConnectSchema } from './connect-schema';
import { bytesIn, integerIn, isFields, malformed } from './debezium-input';

/**
 * Connect's Decimal: the unscaled value as big-endian two's complement bytes (Java's
 * BigInteger.toByteArray), base64 in JSON. Read exactly, as text with `scale` digits after
 * the point (`12.50`), never through a JS number. A JSON number (JsonConverter's
 * `decimal.format=NUMERIC`) is already the value and is passed on as it is.
 */
export function decimalValue(raw: unknown, scale: number, field: string): unknown {
  if (typeof raw === 'number') return raw;
  const bytes = bytesIn(raw, field);
  if (bytes.length === 0) return malformed(field, 'is empty bytes, which hold no Decimal');
  return decimalText(twosComplement(bytes), scale);
}

/** The scale of a Decimal schema: its `scale` parameter (Connect writes every parameter as text). */
export function decimalScale(schema: ConnectSchema, field: string): number {
  const scale = Number(schema.parameters?.scale);
  if (!Number.isSafeInteger(scale))
    return malformed(field, 'has a Decimal schema without an integer scale parameter');
  return checkedScale(scale, field);
}

/**
 * Debezium's VariableScaleDecimal (PostgreSQL numeric without a declared scale): a struct of
 * the scale and the unscaled value's bytes.
 */
export function variableScaleDecimal(raw: unknown, field: string): string {
  if (!isFields(raw)) return malformed(field, 'must be a VariableScaleDecimal struct {scale, value}');
  const scale = integerIn(raw.scale, `${field}.scale`);
  const bytes = bytesIn(raw.value, `${field}.value`);
  if (bytes.length === 0) return malformed(`${field}.value`, 'is empty bytes, which hold no decimal');
  return decimalText(twosComplement(bytes), checkedScale(Number(scale), `${field}.scale`));
}

// PostgreSQL's largest display scale: a bigger one is damage, and would build a huge power of ten.
const MAX_SCALE = 16383;

function checkedScale(scale: number, field: string): number {
  if (Math.abs(scale) > MAX_SCALE) return malformed(field, `is a scale of ${scale}, beyond ±${MAX_SCALE}`);
  return scale;
}

function twosComplement(bytes: Uint8Array): bigint {
  const unsigned = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  return bytes[0]! & 0x80 ? unsigned - (1n << BigInt(bytes.length * 8)) : unsigned;
}

function decimalText(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

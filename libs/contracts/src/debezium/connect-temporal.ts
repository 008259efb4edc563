/**
 * Debezium's epoch-based temporal values as the text the contract's types take, with BigInt
 * arithmetic so no microsecond is lost (a NanoTimestamp is beyond 2^53). Values the
 * warehouse cannot hold (PostgreSQL's infinity as Long.MAX_VALUE, a year past 9999, sub-
 * microsecond digits) are still written out, and validation refuses them with its reason.
 */

export type EpochUnit = 'milliseconds' | 'microseconds' | 'nanoseconds';

const NANOS_PER: Record<EpochUnit, bigint> = {
  milliseconds: 1_000_000n,
  microseconds: 1_000n,
  nanoseconds: 1n,
};
const NANOS_PER_SECOND = 1_000_000_000n;
const NANOS_PER_DAY = 86_400n * NANOS_PER_SECOND;

/**
 * A timestamp since 1970-01-01 UTC as `YYYY-MM-DDTHH:MM:SS.ffffff`, with `Z` when `zoned`
 * (Connect's Timestamp and Debezium's are UTC readings: a `timestamp` source column is read
 * as if it were UTC, so it loads into a `timestamp` column unchanged).
 */
export function epochTimestamp(value: bigint, unit: EpochUnit, zoned: boolean): string {
  const nanos = value * NANOS_PER[unit];
  const days = floorDiv(nanos, NANOS_PER_DAY);
  const text = `${epochDate(days)}T${clock(nanos - days * NANOS_PER_DAY)}`;
  return zoned ? `${text}Z` : text;
}

/** Days since 1970-01-01 as `YYYY-MM-DD` (proleptic Gregorian, H. Hinnant's civil_from_days). */
export function epochDate(days: bigint): string {
  const z = days + 719_468n;
  const era = floorDiv(z, 146_097n);
  const dayOfEra = z - era * 146_097n;
  const yearOfEra = (dayOfEra - dayOfEra / 1460n + dayOfEra / 36_524n - dayOfEra / 146_096n) / 365n;
  const dayOfYear = dayOfEra - (365n * yearOfEra + yearOfEra / 4n - yearOfEra / 100n);
  const shifted = (5n * dayOfYear + 2n) / 153n;
  const day = dayOfYear - (153n * shifted + 2n) / 5n + 1n;
  const month = shifted < 10n ? shifted + 3n : shifted - 9n;
  const year = yearOfEra + era * 400n + (month <= 2n ? 1n : 0n);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/**
 * A time of day since midnight as `HH:MM:SS.ffffff`. MySQL's TIME is a duration, so hours
 * may pass 23 and the value may be negative (`-01:30:00.000000`).
 */
export function timeOfDay(value: bigint, unit: EpochUnit): string {
  const nanos = value * NANOS_PER[unit];
  return nanos < 0n ? `-${clock(-nanos)}` : clock(nanos);
}

/** `HH:MM:SS` and the fraction: six digits, nine when the value has sub-microsecond digits. */
function clock(nanos: bigint): string {
  const seconds = nanos / NANOS_PER_SECOND;
  const fraction = nanos % NANOS_PER_SECOND;
  const digits = fraction % 1000n === 0n ? pad(fraction / 1000n, 6) : pad(fraction, 9);
  return `${pad(seconds / 3600n, 2)}:${pad((seconds / 60n) % 60n, 2)}:${pad(seconds % 60n, 2)}.${digits}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

const pad = (n: bigint, width: number): string =>
  n < 0n ? `-${pad(-n, width)}` : n.toString().padStart(width, '0');

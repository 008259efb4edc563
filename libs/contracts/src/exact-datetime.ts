/**
 * Dates and timestamps read exactly, to the microsecond, as one BigInt of microseconds, so that
 * validation refuses what the warehouse would refuse (a calendar-invalid day, hour 99, an offset
 * beyond the warehouse's range) and versions and keys compare as the warehouse compares them.
 */
import type { WarehouseValueRules } from './warehouse-value-rules';

export type DateTimeKind = 'date' | 'timestamp' | 'timestamptz';

export type DateTimeRead = { ok: true; micros: bigint } | { ok: false; reason: string };

const PATTERNS: Record<DateTimeKind, RegExp> = {
  date: /^(\d{4})-(\d{2})-(\d{2})$/,
  timestamp: /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/,
  timestamptz:
    /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/,
};

const EXAMPLES: Record<DateTimeKind, string> = {
  date: 'a date like 2026-01-31',
  timestamp: 'a timestamp like 2026-01-31T12:00:00.123456 (no zone)',
  timestamptz: 'a timestamp with a zone like 2026-01-31T12:00:00.123456Z or +05:30',
};

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * Reads a date (days as microseconds), a timestamp (local microseconds) or a timestamptz (UTC
 * microseconds since 1970-01-01). Years 0001-9999, the proleptic Gregorian calendar, hours
 * 00-23, minutes and seconds 00-59 and offsets up to the warehouse's largest either way: what
 * PostgreSQL and Redshift both accept (24:00:00 and leap second 60 are refused, since
 * PostgreSQL silently moves them to the next day).
 */
export function readDateTime(
  kind: DateTimeKind,
  text: string,
  rules: Pick<WarehouseValueRules, 'warehouse' | 'maxZoneOffsetMinutes'>,
): DateTimeRead {
  const m = PATTERNS[kind].exec(text);
  if (!m) return { ok: false, reason: `expected ${EXAMPLES[kind]}, got ${JSON.stringify(text)}` };
  const [year, month, day, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(
    (part) => (part === undefined ? undefined : Number(part)),
  ) as number[];
  const fail = (problem: string): DateTimeRead => ({
    ok: false,
    reason: `${JSON.stringify(text)}: ${problem}`,
  });
  if (year! < 1) return fail('year 0000 does not exist (the year before 0001 is 1 BC)');
  if (month! < 1 || month! > 12) return fail(`month ${m[2]} is not 01-12`);
  const days = daysInMonth(year!, month!);
  if (day! < 1 || day! > days) {
    return fail(`${m[1]}-${m[2]} has ${days} days, so day ${m[3]} does not exist`);
  }
  if (hour > 23) return fail(`hour ${m[4]} is not 00-23`);
  if (minute > 59) return fail(`minute ${m[5]} is not 00-59`);
  if (second > 59) return fail(`second ${m[6]} is not 00-59`);
  const fraction = BigInt((m[7] ?? '').padEnd(6, '0'));
  const local =
    BigInt(daysFromCivil(year!, month!, day!)) * MICROS_PER_DAY +
    BigInt((hour * 60 + minute) * 60 + second) * 1_000_000n +
    fraction;
  if (kind !== 'timestamptz' || m[8] !== undefined) return { ok: true, micros: local };
  const offsetHours = Number(m[10]);
  const offsetMinutes = Number(m[11] ?? '0');
  if (offsetMinutes > 59) return fail(`zone offset minutes ${m[11]} are not 00-59`);
  const offset = offsetHours * 60 + offsetMinutes;
  if (offset > rules.maxZoneOffsetMinutes) {
    return fail(
      `zone offset ${m[9]}${m[10]}:${m[11] ?? '00'} is beyond ±${formatOffset(rules.maxZoneOffsetMinutes)}, the largest ${rules.warehouse} takes`,
    );
  }
  const signed = BigInt(m[9] === '-' ? -offset : offset);
  return { ok: true, micros: local - signed * 60_000_000n };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

const formatOffset = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

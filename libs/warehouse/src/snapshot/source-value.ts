import type { ColumnType } from '@app/config';
import { WarehouseError } from '../errors';

const SAFE_INTEGER = /^-?\d{1,15}$/;
/** A timestamp as PostgreSQL (DateStyle ISO) and Redshift print it: a space between date and time. */
const SPACED = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)/;

/**
 * A value as the source printed it (PostgreSQL's COPY text, Redshift's UNLOAD CSV: both in UTC,
 * ISO dates) in the JSON form a producer would send for the contract's type. Exact types stay
 * strings (bigint, numeric, double: no digit is lost to a JS number), booleans and small integers
 * become JSON ones, timestamps get the ISO `T` (and `Z` for UTC), json is parsed. Anything else
 * is passed on as printed: validation then refuses it with the contract's reason (a source column
 * of another type than the contract's is reported, never converted silently).
 */
export function sourceValue(type: ColumnType, text: string, column: string): unknown {
  switch (type.kind) {
    case 'integer':
      return SAFE_INTEGER.test(text) ? Number(text) : text;
    case 'boolean':
      return text === 't' ? true : text === 'f' ? false : text;
    case 'timestamp':
      return text.replace(SPACED, '$1T$2');
    case 'timestamptz':
      return text.replace(SPACED, '$1T$2').replace(/\+00$/, 'Z');
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new SnapshotSourceUnreadable(
          `column ${column} is declared json, but the source holds ${text.slice(0, 80)}`,
        );
      }
    default:
      return text;
  }
}

/** The source's output is not what a snapshot reads (a malformed file, a header of other columns). */
export class SnapshotSourceUnreadable extends WarehouseError {
  readonly code = 'SNAPSHOT_SOURCE_UNREADABLE';
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotSourceUnreadable';
  }
}

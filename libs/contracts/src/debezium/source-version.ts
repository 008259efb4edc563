import { refuse, type Fields } from './debezium-input';

const DIGITS = /^\d+$/;
/** Room for any binlog position: a position is a byte offset in one file, far below 10^12. */
const POSITIONS_PER_FILE = 10n ** 12n;

/**
 * The version that orders a source's changes to one row: its position in the source's log,
 * as exact digit text (a bigint or numeric version column takes it).
 *
 * PostgreSQL: `source.lsn`, the WAL position of the change itself (else the second element
 * of `source.sequence`, `["<last commit lsn>","<lsn>"]`, which incremental snapshot rows
 * carry without an lsn). An LSN is not commit order across transactions, but for one row it
 * is: a transaction that changes a row holds its lock until it commits, so another
 * transaction's change to that row is written to the WAL after that commit, at a higher LSN;
 * within a transaction, later changes have higher LSNs. The exception is a snapshot read (`r`)
 * next to a transaction that was open while the snapshot ran: its change can be written
 * before the snapshot's LSN yet commit after it (so the snapshot did not see it), and then
 * sorts below the snapshot row it replaces. Only that window, at a snapshot's edge, is exposed.
 *
 * MySQL and MariaDB: `source.file` and `source.pos` (the binlog event's offset) and
 * `source.row` (the row within the event), as fileIndex × 10^12 + pos + row, where fileIndex
 * is the file name's number (mysql-bin.000003 → 3). The binlog is written in commit order,
 * so this orders every change, not only those to one row; `pos + row` stays below the next
 * event's offset because an event holds more bytes than rows. Up to file 9,223,371 it fits
 * a bigint.
 */
export function sourceVersion(source: Fields): string {
  if ('lsn' in source || 'sequence' in source) return walVersion(source);
  if ('file' in source && 'pos' in source) return binlogVersion(source);
  return refuse(
    'INVALID_VERSION',
    'source',
    'the source block has neither lsn (PostgreSQL) nor file and pos (MySQL): no log position to order changes by',
  );
}

function walVersion(source: Fields): string {
  const lsn = digitsOf(source.lsn);
  if (lsn !== undefined) return lsn;
  const second = sequenceLsn(source.sequence);
  if (second !== undefined) return second;
  return refuse(
    'INVALID_VERSION',
    'source.lsn',
    `source.lsn (${String(source.lsn)}) is not an exact LSN and source.sequence carries none`,
  );
}

function sequenceLsn(sequence: unknown): string | undefined {
  if (typeof sequence !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(sequence);
    return Array.isArray(parsed) ? digitsOf(parsed[1]) : undefined;
  } catch {
    return undefined;
  }
}

function binlogVersion(source: Fields): string {
  const file = typeof source.file === 'string' ? /(\d+)$/.exec(source.file)?.[1] : undefined;
  const pos = digitsOf(source.pos);
  const row = source.row === undefined || source.row === null ? '0' : digitsOf(source.row);
  if (file === undefined || pos === undefined || row === undefined)
    return refuse(
      'INVALID_VERSION',
      'source.pos',
      `source.file ${JSON.stringify(source.file)}, pos and row do not make a binlog position`,
    );
  return (BigInt(file) * POSITIONS_PER_FILE + BigInt(pos) + BigInt(row)).toString();
}

/** A non-negative integer as digit text, if exact: a JSON number beyond 2^53 already lost digits. */
function digitsOf(raw: unknown): string | undefined {
  if (typeof raw === 'bigint') return raw >= 0n ? raw.toString() : undefined;
  if (typeof raw === 'number') return Number.isSafeInteger(raw) && raw >= 0 ? String(raw) : undefined;
  if (typeof raw === 'string' && DIGITS.test(raw)) return BigInt(raw).toString();
  return undefined;
}

/** The source commit time in epoch milliseconds, for lag. */
export function sourceTime(source: Fields): number | undefined {
  const ts = source.ts_ms;
  if (typeof ts === 'bigint') return Number(ts);
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined;
}

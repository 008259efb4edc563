/** Errors carry a code and whether a retry can help. */
export abstract class WarehouseError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
}

/** Another owner advanced or claimed the lane: this owner is stale and must drop its buffer. */
export class FencedError extends WarehouseError {
  readonly code = 'LANE_FENCED';
  readonly retriable = false;
  constructor(
    table: string,
    partition: number,
    epoch: number,
    /** The checkpoint as it stood when the compare-and-set missed, when it was read. */
    found?: { lastOffset: number; epoch: number },
  ) {
    const seen = found ? ` (checkpoint at offset ${found.lastOffset}, epoch ${found.epoch})` : '';
    super(
      `lane ${partition} of ${table} was claimed or advanced by another owner (our epoch ${epoch})${seen}; dropping this batch`,
    );
    this.name = 'FencedError';
  }
}

/**
 * A batch asked to move the checkpoint to an offset at or below where it stands. Applying it
 * would re-apply changes the checkpoint already covers (an append table would gain copies),
 * so it is refused before any SQL runs: the caller has a bug.
 */
export class CheckpointNotAdvancing extends WarehouseError {
  readonly code = 'CHECKPOINT_NOT_ADVANCING';
  readonly retriable = false;
  constructor(table: string, partition: number, previousOffset: number, nextOffset: number) {
    super(
      `lane ${partition} of ${table}: a batch must move the checkpoint strictly forward, but it goes from ${previousOffset} to ${nextOffset}; changes at or below the checkpoint are already applied`,
    );
    this.name = 'CheckpointNotAdvancing';
  }
}

/** COPY loaded a different number of rows than we staged: never merge a partial file. */
export class StagingCountMismatch extends WarehouseError {
  readonly code = 'STAGING_COUNT_MISMATCH';
  readonly retriable = true;
  constructor(table: string, staged: number, loaded: number) {
    super(
      `staging ${table}: staged ${staged} rows but COPY loaded ${loaded}; the batch was rolled back and will be retried`,
    );
    this.name = 'StagingCountMismatch';
  }
}

// SQLSTATEs a retry can fix: serialization failure, deadlock, lock timeout, cancel by
// statement timeout, too many connections, and every connection exception (class 08).
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '53300', '53400']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** A lock wait hit its bound: PostgreSQL's lock_timeout (55P03), or a statement timeout (57014). */
export function isLockTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '55P03' || code === '57014';
}

export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number } };
  if (typeof e?.code === 'string') return e.code;
  if (e?.$metadata?.httpStatusCode) return `S3_${e.$metadata.httpStatusCode}`;
  return typeof e?.name === 'string' ? e.name : 'UNKNOWN';
}

/** Whether retrying the whole flush can succeed without changing anything. */
export function isTransient(error: unknown): boolean {
  if (error instanceof WarehouseError) return error.retriable;
  const e = error as {
    code?: unknown;
    message?: unknown;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || TRANSIENT_NODE_CODES.has(code)) return true;
  // Redshift reports its serializable isolation violation as error 1023 inside the message.
  if (
    typeof e?.message === 'string' &&
    /\b1023\b|serializ|Connection terminated|connection timeout|connection error|not queryable/i.test(
      e.message,
    )
  )
    return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return Boolean(e?.$retryable);
}

// Redshift reports a COPY that refused a value (bad date, overflow, invalid UTF-8, value too
// long: STL_LOAD_ERRORS codes 1200-1299) as SQLSTATE XX000 with this message, not as class 22.
const REDSHIFT_LOAD_ERROR = /Load into table '[^']*' failed\.\s*Check 'stl_load_errors'/i;
// Redshift's in-query data errors, also under XX000: overflow, invalid digits, JSON_PARSE.
const REDSHIFT_DATA_MESSAGE =
  /Numeric data overflow|Overflow \(|Invalid digit, Value|JSON parsing error|invalid JSON/i;

/**
 * Whether the warehouse refused the batch's data itself: SQLSTATE class 22 (data exception:
 * bad date, overflow, value too long, invalid text) or 23 (integrity constraint: duplicate key,
 * NOT NULL), or Redshift's equivalents. Retrying the same batch fails the same way, so the
 * sink isolates the offending changes instead. Never true for what a retry can fix
 * (connection, lock, serialization, timeout), so a transient outage never dead-letters data.
 */
export function isDataError(error: unknown): boolean {
  if (error === null || error === undefined || isTransient(error)) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (REDSHIFT_LOAD_ERROR.test(message)) return true;
  if (code === 'XX000' && REDSHIFT_DATA_MESSAGE.test(message)) return true;
  // Wrappers (RedshiftCopyFailed) keep the warehouse's error as their cause.
  return e.cause !== undefined && e.cause !== error && isDataError(e.cause);
}

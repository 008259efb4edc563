/**
 * The base of every warehouse error: a code, whether retrying the same operation can help,
 * and the error it wraps, if any (`cause`, passed to Error).
 */
export abstract class WarehouseError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
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

/**
 * The checkpoint compare-and-set matched several rows: the lane's checkpoint row exists twice
 * (a warehouse that does not enforce primary keys, such as Redshift). Retrying cannot help; an operator must delete the
 * duplicate.
 */
export class DuplicateCheckpointRows extends WarehouseError {
  readonly code = 'DUPLICATE_CHECKPOINT_ROWS';
  readonly retriable = false;
  constructor(table: string, partition: number, rows: number) {
    super(
      `checkpoint of ${table} lane ${partition} matched ${rows} rows; keep one row per (topic, partition) in its checkpoint table`,
    );
    this.name = 'DuplicateCheckpointRows';
  }
}

/** The batch has no S3 URI (staging: direct), or not the kind of URI the warehouse's load expects. */
export class StagedUriUnusable extends WarehouseError {
  readonly code = 'STAGED_URI_UNUSABLE';
  readonly retriable = false;
  constructor(table: string, reason: string) {
    super(`cannot load ${table}'s staged batch: ${reason}`);
    this.name = 'StagedUriUnusable';
  }
}

/**
 * A failure the warehouse (or its driver) reported, classified by the destination that
 * received it: the code is the warehouse's own (a SQLSTATE, a socket error code, or
 * CONNECTION_LOST), the message is the cause's unchanged, so logs and dead letters read as the
 * warehouse wrote them.
 */
export class WarehouseFailure extends WarehouseError {
  constructor(
    readonly code: string,
    readonly retriable: boolean,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'WarehouseFailure';
  }
}

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

// Socket failures, from the warehouse's connection or the staging store's.
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Whether a socket failed (by its Node error code): the peer may well answer the next attempt. */
export function isSocketFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code);
}

/** Whether the staging store (S3, by the AWS SDK's own markers) says a retry may succeed. */
export function isRetriableStoreError(error: unknown): boolean | undefined {
  const e = error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return e?.$retryable === undefined ? undefined : Boolean(e.$retryable);
}

/**
 * Whether retrying the whole operation can succeed without changing anything. A warehouse
 * error says so itself (`retriable`, decided by the destination that classified it); what
 * reaches here unclassified is the staging store's or a socket's, judged by their codes. Never
 * by a message.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof WarehouseError) return error.retriable;
  return isSocketFailure(error) || isRetriableStoreError(error) === true;
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

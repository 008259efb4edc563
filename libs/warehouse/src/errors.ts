import { TablelaneError, type ErrorCode } from '@app/config';

/**
 * The base of every warehouse error: a TablelaneError (a code, whether retrying the same
 * operation can help, the error it wraps as `cause`) that also says whether the warehouse
 * refused the batch's data itself (`dataError`), as the destination that raised or classified
 * it decided. Every error a Destination throws is one.
 */
export abstract class WarehouseError extends TablelaneError {
  /**
   * The warehouse refused the batch's data (a value, a constraint): retrying the same batch
   * fails the same way, so the sink isolates the offending changes. Never true when `retriable`.
   */
  readonly dataError: boolean;
  constructor(message: string, options?: { cause?: unknown; dataError?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.dataError = options?.dataError ?? false;
  }
}

/** The kind in `warehouse.kind` has no entry in the warehouse registry. */
export class UnknownWarehouseKind extends WarehouseError {
  readonly code = 'WAREHOUSE_KIND_UNKNOWN';
  readonly retriable = false;
  constructor(kind: string, known: string[]) {
    super(
      `warehouse.kind ${JSON.stringify(kind)} is not a warehouse tablelane can load; use one of ${known.join(', ')}`,
    );
    this.name = 'UnknownWarehouseKind';
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

/** How a destination classified a failure its warehouse (or its driver) reported. */
export interface FailureClass {
  /** The warehouse's own code (a SQLSTATE, a socket error code, S3_<status>), or one of tablelane's. */
  code: ErrorCode;
  retriable: boolean;
  /** The warehouse refused the data itself (see WarehouseError.dataError); false when omitted. */
  dataError?: boolean;
}

/**
 * A failure the warehouse (or its driver) reported, classified by the destination that
 * received it: the code is the warehouse's own (a SQLSTATE, a socket error code, or
 * CONNECTION_LOST), the message is the cause's unchanged, so logs and dead letters read as the
 * warehouse wrote them.
 */
export class WarehouseFailure extends WarehouseError {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  constructor(classified: FailureClass, cause: unknown) {
    const dataError = !classified.retriable && (classified.dataError ?? false);
    super(cause instanceof Error ? cause.message : String(cause), { cause, dataError });
    this.name = 'WarehouseFailure';
    this.code = classified.code;
    this.retriable = classified.retriable;
  }
}

/** A lock wait hit its bound: PostgreSQL's lock_timeout (55P03), or a statement timeout (57014). */
export function isLockTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '55P03' || code === '57014';
}

/**
 * The code to report for an error (logs, metrics, dead letters): a TablelaneError's own;
 * otherwise the code it carries (a driver's SQLSTATE, a socket's), S3_<status> for the staging
 * store's, its name, or UNKNOWN.
 */
export function errorCode(error: TablelaneError): ErrorCode;
export function errorCode(error: unknown): string;
export function errorCode(error: unknown): string {
  if (error instanceof TablelaneError) return error.code;
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

/**
 * For classifiers: whether a socket failed (by its Node error code), so the peer may well
 * answer the next attempt.
 */
export function isSocketFailure(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code);
}

/** For classifiers: whether the staging store (S3, by the AWS SDK's own markers) says a retry may succeed. */
export function isRetriableStoreError(error: unknown): boolean | undefined {
  const e = error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return e?.$retryable === undefined ? undefined : Boolean(e.$retryable);
}

/**
 * Whether retrying the whole operation can succeed without changing anything: what the error
 * says itself (`retriable`, decided where it was raised or by the destination that classified
 * it). An error nobody classified is not known to be transient. Never read from a message.
 */
export function isTransient(error: unknown): boolean {
  return error instanceof TablelaneError && error.retriable;
}

/**
 * Whether the warehouse refused the batch's data itself, as the destination that classified
 * the error decided (`dataError`: SQLSTATE class 22 or 23 on PostgreSQL, plus Redshift's load
 * and in-query data errors on Redshift; see each destination's classifier). Retrying the same
 * batch fails the same way, so the sink isolates the offending changes instead. Never true for
 * what a retry can fix (connection, lock, serialization, timeout), so a transient outage never
 * dead-letters data, nor for an error no destination classified.
 */
export function isDataError(error: unknown): boolean {
  return error instanceof WarehouseError && error.dataError;
}

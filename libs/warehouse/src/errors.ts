/** Errors carry a code and whether a retry can help. */
export abstract class WarehouseError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;
}

/** Another owner advanced or claimed the lane: this owner is stale and must drop its buffer. */
export class FencedError extends WarehouseError {
  readonly code = 'LANE_FENCED';
  readonly retriable = false;
  constructor(table: string, partition: number, epoch: number) {
    super(
      `lane ${partition} of ${table} was claimed or advanced by another owner (our epoch ${epoch}); dropping this batch`,
    );
    this.name = 'FencedError';
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

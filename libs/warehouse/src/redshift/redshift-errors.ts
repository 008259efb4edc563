import { errorCode, isTransient, WarehouseError } from '../errors';

/**
 * COPY FROM S3 failed. The message carries the redacted statement only, never the one with
 * credentials; the code and retriability are the cause's, so the sink's retry loop and lock
 * watch treat it as they would the bare error.
 */
export class RedshiftCopyFailed extends WarehouseError {
  readonly code: string;
  readonly retriable: boolean;
  constructor(table: string, redactedStatement: string, cause: unknown) {
    super(
      `COPY of ${table}'s staged batch failed: ${(cause as Error)?.message ?? String(cause)} ` +
        `(details in STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL); statement: ${redactedStatement}`,
      { cause },
    );
    this.name = 'RedshiftCopyFailed';
    this.code = errorCode(cause);
    this.retriable = isTransient(cause);
  }
}

/** The batch has no S3 URI (staging: direct), or not the kind of URI the COPY options expect. */
export class StagedUriUnusable extends WarehouseError {
  readonly code = 'STAGED_URI_UNUSABLE';
  readonly retriable = false;
  constructor(table: string, reason: string) {
    super(`cannot COPY ${table}'s staged batch: ${reason}`);
    this.name = 'StagedUriUnusable';
  }
}

/**
 * The checkpoint compare-and-set matched several rows: the lane's checkpoint row exists twice
 * (Redshift does not enforce primary keys). Retrying cannot help; an operator must delete the
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

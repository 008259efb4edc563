import { WarehouseError } from '../errors';
import { classifyPgProtocolError, type PgErrorClassifier } from '../pg-protocol-errors';

// Redshift's retriable SQLSTATEs: serialization failure and deadlock (also what the
// PostgreSQL-compatible test mode raises), lock timeout (that mode's), statement timeout (how
// Redshift bounds a lock wait), termination by an operator, too many connections.
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '53300', '53400']);

/**
 * Redshift's serializable isolation violation: vendor error 1023, reported under the catch-all
 * SQLSTATE XX000 with the number leading the message (`ERROR: 1023 DETAIL: Serializable
 * isolation violation on table ...`). Only the number identifies it: XX000 alone is also a
 * refused COPY, an S3 access denial and every other internal error.
 */
export function isRedshiftSerializationViolation(sqlState: string, error: { message?: unknown }): boolean {
  return (
    sqlState === 'XX000' && typeof error.message === 'string' && /^(ERROR:\s*)?1023\b/.test(error.message)
  );
}

/** Redshift's reading of its errors: its SQLSTATEs plus error 1023, which a retry resolves. */
export const classifyRedshiftError: PgErrorClassifier = (error, connectionLost) =>
  classifyPgProtocolError(
    error,
    connectionLost,
    (sqlState, e) => RETRIABLE_SQLSTATES.has(sqlState) || isRedshiftSerializationViolation(sqlState, e),
  );

/**
 * COPY FROM S3 failed. The message carries the redacted statement only, never the one with
 * credentials; the code and retriability are Redshift's classification of the cause, so the
 * sink's retry loop and lock watch treat it as they would the bare error.
 */
export class RedshiftCopyFailed extends WarehouseError {
  readonly code: string;
  readonly retriable: boolean;
  constructor(table: string, redactedStatement: string, cause: unknown, connectionLost = false) {
    super(
      `COPY of ${table}'s staged batch failed: ${(cause as Error)?.message ?? String(cause)} ` +
        `(details in STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL); statement: ${redactedStatement}`,
      { cause },
    );
    this.name = 'RedshiftCopyFailed';
    const classified = classifyRedshiftError(cause, connectionLost);
    this.code = classified.code;
    this.retriable = classified.retriable;
  }
}

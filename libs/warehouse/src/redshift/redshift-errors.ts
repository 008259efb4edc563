import type { ErrorCode } from '@app/config';
import { WarehouseError } from '../errors';
import {
  classifyPgProtocolError,
  isDataExceptionClass,
  type PgErrorClassifier,
  type SqlStateRules,
} from '../pg-protocol-errors';

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

// Redshift reports a COPY that refused a value (bad date, overflow, invalid UTF-8, value too
// long: STL_LOAD_ERRORS codes 1200-1299) as SQLSTATE XX000 with this message, not as class 22.
const REDSHIFT_LOAD_ERROR = /Load into table '[^']*' failed\.\s*Check 'stl_load_errors'/i;
// Redshift's in-query data errors, also under XX000: overflow, invalid digits, JSON_PARSE.
const REDSHIFT_DATA_MESSAGE =
  /Numeric data overflow|Overflow \(|Invalid digit, Value|JSON parsing error|invalid JSON/i;

/**
 * Whether Redshift refused the data itself outside class 22/23: a COPY that refused a value
 * (its load-error message, which names STL_LOAD_ERRORS), or an in-query data error (overflow,
 * invalid digit, JSON parsing) under XX000, the SQLSTATE it also uses for every other internal
 * error. Only these messages, never a broader pattern.
 */
export function isRedshiftDataError(sqlState: string, error: { message?: unknown }): boolean {
  if (typeof error.message !== 'string') return false;
  if (REDSHIFT_LOAD_ERROR.test(error.message)) return true;
  return sqlState === 'XX000' && REDSHIFT_DATA_MESSAGE.test(error.message);
}

/**
 * Redshift's reading of its SQLSTATEs: the standard classes plus its vendor errors under
 * XX000, error 1023 (a retry resolves it) and its load and in-query data errors (the data's
 * fault). Its PostgreSQL-compatible test mode raises PostgreSQL's class 22/23 for the same.
 */
export const REDSHIFT_SQLSTATE_RULES: SqlStateRules = {
  retriable: (sqlState, error) =>
    RETRIABLE_SQLSTATES.has(sqlState) || isRedshiftSerializationViolation(sqlState, error),
  dataError: (sqlState, error) => isDataExceptionClass(sqlState) || isRedshiftDataError(sqlState, error),
};

/** Redshift's reading of its errors: its SQLSTATEs plus error 1023, which a retry resolves. */
export const classifyRedshiftError: PgErrorClassifier = (error, connectionLost) =>
  classifyPgProtocolError(error, connectionLost, REDSHIFT_SQLSTATE_RULES);

/**
 * COPY FROM S3 failed. The message carries the redacted statement only, never the one with
 * credentials; the code, retriability and whether the data was refused are Redshift's
 * classification of the cause, so the sink's retry loop, lock watch and isolation of refused
 * changes treat it as they would the bare error.
 */
export class RedshiftCopyFailed extends WarehouseError {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  constructor(table: string, redactedStatement: string, cause: unknown, connectionLost = false) {
    const classified = classifyRedshiftError(cause, connectionLost);
    super(
      `COPY of ${table}'s staged batch failed: ${(cause as Error)?.message ?? String(cause)} ` +
        `(details in STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL); statement: ${redactedStatement}`,
      { cause, dataError: classified.dataError },
    );
    this.name = 'RedshiftCopyFailed';
    this.code = classified.code;
    this.retriable = classified.retriable;
  }
}

import {
  classifyPgProtocolError,
  isDataExceptionClass,
  type PgErrorClassifier,
  type SqlStateRules,
} from '../pg-protocol-errors';

// PostgreSQL's SQLSTATEs a retry can fix: serialization failure, deadlock, lock timeout,
// cancel by statement timeout, termination by an operator, too many connections, out of
// connection slots. Class 08 (connection exception) is retriable on every warehouse.
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '53300', '53400']);

/**
 * PostgreSQL's (and Aurora PostgreSQL's) reading of its SQLSTATEs, by the SQLSTATE only: a
 * refused value or constraint is class 22 or 23, nothing else (never a message).
 */
export const POSTGRES_SQLSTATE_RULES: SqlStateRules = {
  retriable: (sqlState) => RETRIABLE_SQLSTATES.has(sqlState),
  dataError: (sqlState) => isDataExceptionClass(sqlState),
};

/** PostgreSQL's (and Aurora PostgreSQL's) reading of its errors, by SQLSTATE only. */
export const classifyPostgresError: PgErrorClassifier = (error, connectionLost) =>
  classifyPgProtocolError(error, connectionLost, POSTGRES_SQLSTATE_RULES);

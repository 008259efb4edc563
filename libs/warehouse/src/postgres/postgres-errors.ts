import { classifyPgProtocolError, type PgErrorClassifier } from '../pg-protocol-errors';

// PostgreSQL's SQLSTATEs a retry can fix: serialization failure, deadlock, lock timeout,
// cancel by statement timeout, termination by an operator, too many connections, out of
// connection slots. Class 08 (connection exception) is retriable on every warehouse.
const RETRIABLE_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '53300', '53400']);

/** PostgreSQL's (and Aurora PostgreSQL's) reading of its errors, by SQLSTATE only. */
export const classifyPostgresError: PgErrorClassifier = (error, connectionLost) =>
  classifyPgProtocolError(error, connectionLost, (sqlState) => RETRIABLE_SQLSTATES.has(sqlState));

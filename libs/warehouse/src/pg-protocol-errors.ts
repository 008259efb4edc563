import { reportedCode, TablelaneError } from '@app/config';
import {
  errorCode,
  isRetriableStoreError,
  isSocketFailure,
  WarehouseError,
  WarehouseFailure,
} from './errors';

/**
 * How one warehouse spoken to over the PostgreSQL protocol turns what its driver raised into
 * a WarehouseError. `connectionLost`: the client's connection failed during the operation (the
 * pool saw it end or error), whatever the error then says.
 */
export type PgErrorClassifier = (error: unknown, connectionLost: boolean) => WarehouseError;

/**
 * One warehouse's reading of its SQLSTATEs (and of the vendor errors it reports under one,
 * such as Redshift's under XX000). Each destination states its own (postgres-errors.ts,
 * redshift-errors.ts); nothing else decides from a SQLSTATE or a message.
 */
export interface SqlStateRules {
  /** Whether a retry can fix it (serialization failure, deadlock, lock or statement timeout...). */
  retriable(sqlState: string, error: { message?: unknown }): boolean;
  /** Whether the warehouse refused the batch's data itself (a value, a constraint). */
  dataError(sqlState: string, error: { message?: unknown }): boolean;
}

/**
 * The SQL standard's data exception (class 22: bad date, overflow, value too long, invalid
 * text) and integrity constraint violation (class 23: duplicate key, NOT NULL, CHECK). For a
 * warehouse's `dataError` rule; pg_catalog races (see isConcurrentCreation) are retriable, so
 * never data errors.
 */
export function isDataExceptionClass(sqlState: string): boolean {
  return /^2[23][0-9A-Z]{3}$/.test(sqlState);
}

/**
 * The classification every PostgreSQL-protocol warehouse shares: errors already classified
 * pass through; a lost connection, a socket failure and class 08 (connection exception) are
 * retriable; a SQLSTATE is the warehouse's to judge (`rules`); a failure reading the staged
 * file is the store's. Anything else is permanent.
 */
export function classifyPgProtocolError(
  error: unknown,
  connectionLost: boolean,
  rules: SqlStateRules,
): WarehouseError {
  if (error instanceof WarehouseError) return error;
  // Another part of tablelane raised it inside the warehouse's operation: keep its decision.
  if (error instanceof TablelaneError)
    return new WarehouseFailure({ code: error.code, retriable: error.retriable }, error);
  const code = (error as { code?: unknown })?.code;
  if (connectionLost)
    return new WarehouseFailure(
      { code: typeof code === 'string' ? reportedCode(code) : 'CONNECTION_LOST', retriable: true },
      error,
    );
  if (isSocketFailure(error))
    return new WarehouseFailure({ code: reportedCode(errorCode(error)), retriable: true }, error);
  if (typeof code === 'string' && SQLSTATE.test(code)) {
    const e = error as { message?: unknown; schema?: unknown };
    const retriable = code.startsWith('08') || isConcurrentCreation(code, e) || rules.retriable(code, e);
    return new WarehouseFailure(
      { code: reportedCode(code), retriable, dataError: !retriable && rules.dataError(code, e) },
      error,
    );
  }
  return new WarehouseFailure(
    { code: reportedCode(errorCode(error)), retriable: isRetriableStoreError(error) === true },
    error,
  );
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Two sinks starting together both run CREATE ... IF NOT EXISTS: the loser gets a unique
 * violation on the system catalog, a duplicate schema or table, or (when both create the
 * table's row type at once) 42710 `type "…" already exists`, seen in the demo's two sinks. The
 * next attempt finds the object there, so a retry fixes it; it is never the data's fault. Every
 * DDL tablelane runs is IF NOT EXISTS, so a duplicate object is only ever such a race.
 */
function isConcurrentCreation(code: string, error: { schema?: unknown }): boolean {
  return (
    code === '42P06' ||
    code === '42P07' ||
    code === '42710' ||
    (code === '23505' && error.schema === 'pg_catalog')
  );
}

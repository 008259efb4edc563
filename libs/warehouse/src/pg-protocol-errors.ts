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

/** Which of a warehouse's SQLSTATEs (and vendor errors reported under one) a retry can fix. */
export type RetriableSqlState = (sqlState: string, error: { message?: unknown }) => boolean;

/**
 * The classification every PostgreSQL-protocol warehouse shares: errors already classified
 * pass through; a lost connection, a socket failure and class 08 (connection exception) are
 * retriable; a SQLSTATE is the warehouse's to judge (`retriableSqlState`); a failure reading
 * the staged file is the store's. Anything else is permanent.
 */
export function classifyPgProtocolError(
  error: unknown,
  connectionLost: boolean,
  retriableSqlState: RetriableSqlState,
): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const code = (error as { code?: unknown })?.code;
  if (connectionLost)
    return new WarehouseFailure(typeof code === 'string' ? code : 'CONNECTION_LOST', true, error);
  if (isSocketFailure(error)) return new WarehouseFailure(errorCode(error), true, error);
  if (typeof code === 'string' && SQLSTATE.test(code)) {
    const retriable =
      code.startsWith('08') ||
      isConcurrentCreation(code, error as { schema?: unknown }) ||
      retriableSqlState(code, error as { message?: unknown });
    return new WarehouseFailure(code, retriable, error);
  }
  return new WarehouseFailure(errorCode(error), isRetriableStoreError(error) === true, error);
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Two sinks starting together both run CREATE ... IF NOT EXISTS: the loser gets a unique
 * violation on the system catalog (or duplicate schema/table). The next attempt finds the
 * object there, so a retry fixes it; it is never the data's fault.
 */
function isConcurrentCreation(code: string, error: { schema?: unknown }): boolean {
  return code === '42P06' || code === '42P07' || (code === '23505' && error.schema === 'pg_catalog');
}

import type { Pool, PoolClient } from 'pg';

/**
 * Runs work on a client checked out of the pool, and returns it broken or healthy. A backend
 * killed while its client is checked out (pg_terminate_backend, a failover) makes the client
 * emit 'error'; without a listener that would crash the process, so one is attached for the
 * whole checkout. The query in progress, if any, rejects with the same error and the caller's
 * retry takes over.
 */
export async function withPooledClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    // An error without a SQLSTATE is the connection's, not the statement's: do not reuse it.
    if (!(error as { code?: unknown })?.code) broken = true;
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/**
 * One transaction: `begin`, then the session settings, then the work, then COMMIT; ROLLBACK
 * on any error (a client whose ROLLBACK fails is not reused).
 */
export function inPooledTransaction<T>(
  pool: Pool,
  begin: string,
  settings: string[],
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  return withPooledClient(pool, async (client) => {
    try {
      await client.query(begin);
      for (const setting of settings) await client.query(setting);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

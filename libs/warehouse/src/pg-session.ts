import { Pool, type PoolClient, type PoolConfig } from 'pg';

/**
 * A pool whose connections can be killed at any moment (pg_terminate_backend, a failover, a
 * network cut) without crashing the process. A killed connection makes its client emit
 * 'error', sometimes more than once and sometimes after the client went back to the pool or
 * was discarded; an 'error' event nobody listens to would end the process. Every client gets a
 * listener for its whole life, so the error only surfaces where it matters: as the rejection of
 * the query in progress, or of the next one, which the sink's retry loop takes over.
 */
export function createResilientPool(config: PoolConfig): Pool {
  const pool = new Pool(config);
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Runs work on a client checked out of the pool and gives it back, discarded if its
 * connection failed (an error without a SQLSTATE is the connection's, not the statement's) or
 * if the work called `discard`.
 */
export async function withPooledClient<T>(
  pool: Pool,
  work: (client: PoolClient, discard: () => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    return await work(client, () => (broken = true));
  } catch (error) {
    if (!(error as { code?: unknown })?.code) broken = true;
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * One transaction: `begin`, then the session settings, then the work, then COMMIT, or ROLLBACK
 * when `commit` says the result must leave no trace; ROLLBACK on any error (a client whose
 * ROLLBACK fails is not reused).
 */
export function inPooledTransaction<T>(
  pool: Pool,
  begin: string,
  settings: string[],
  work: (client: PoolClient) => Promise<T>,
  commit: (result: T) => boolean = () => true,
): Promise<T> {
  return withPooledClient(pool, async (client, discard) => {
    try {
      await client.query(begin);
      for (const setting of settings) await client.query(setting);
      const result = await work(client);
      await client.query(commit(result) ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(discard);
      throw error;
    }
  });
}

import { Pool, type ClientBase, type PoolClient, type PoolConfig } from 'pg';
import type { PgErrorClassifier } from './pg-protocol-errors';
import { tlsOfSslOption, tlsRefusal, type PgTls } from './pg-tls';

/**
 * Clients whose connection failed: node-pg reports that with an 'error' or 'end' event on the
 * client and rejects the query in progress with a plain Error (no SQLSTATE, no class of its
 * own), so the event, not the message, is what tells a lost connection from a failed statement.
 */
const lostConnections = new WeakSet<ClientBase>();

/** Whether the client's connection failed (ended or errored) at some point of its life. */
export function connectionLost(client: ClientBase): boolean {
  return lostConnections.has(client);
}

/** The TLS settings each pool connects with, to explain a refused handshake (pg-tls.ts). */
const poolTls = new WeakMap<Pool, PgTls>();

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
  const tls = tlsOfSslOption(config.ssl);
  if (tls) poolTls.set(pool, tls);
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => lostConnections.add(client));
    client.on('end', () => lostConnections.add(client));
  });
  return pool;
}

/**
 * Runs work on a client checked out of the pool and gives it back, discarded if its
 * connection failed (or the error carries no code, so it cannot be the statement's) or if the
 * work called `discard`. Every error leaves classified by the warehouse's `classify`.
 */
export async function withPooledClient<T>(
  pool: Pool,
  classify: PgErrorClassifier,
  work: (client: PoolClient, discard: () => void) => Promise<T>,
): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    // A TLS failure on a setting (an untrusted certificate, a server without TLS) is not worth
    // retrying, and says which setting to fix. A refusal the server explains carries a SQLSTATE
    // (a bad password is not worth retrying either); without one the connection itself could
    // not be made or timed out.
    throw tlsRefusal(error, poolTls.get(pool)) ?? classify(error, !(error as { code?: unknown })?.code);
  }
  let broken = false;
  try {
    return await work(client, () => (broken = true));
  } catch (error) {
    const lost = connectionLost(client);
    if (lost || !(error as { code?: unknown })?.code) broken = true;
    throw classify(error, lost);
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
  classify: PgErrorClassifier,
  begin: string,
  settings: string[],
  work: (client: PoolClient) => Promise<T>,
  commit: (result: T) => boolean = () => true,
): Promise<T> {
  return withPooledClient(pool, classify, async (client, discard) => {
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

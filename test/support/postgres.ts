import { Client, Pool } from 'pg';
import { onTestFinished } from 'vitest';
import { stackEnv } from './env';

/**
 * Connection settings of the test database, for the destinations a test builds itself and for
 * testPool. Refuses any database whose name does not say it is for tests, so a misdirected
 * PGDATABASE never has its tables dropped: every pool and destination a test builds comes here.
 */
export function testConnection() {
  if (!/test/.test(stackEnv.PGDATABASE)) {
    throw new Error(
      `refusing to run integration tests against database ${stackEnv.PGDATABASE}: its name must contain "test"`,
    );
  }
  return {
    host: stackEnv.PGHOST,
    port: Number(stackEnv.PGPORT),
    user: stackEnv.PGUSER,
    database: stackEnv.PGDATABASE,
  };
}

/** A pool on the test database, closed when the test finishes. */
export function testPool(): Pool {
  const pool = new Pool({ ...testConnection(), max: 20 });
  pool.on('error', () => undefined);
  onTestFinished(() => pool.end());
  return pool;
}

/** Drops the schemas when the current test finishes, on a connection of its own. */
export function dropSchemasAfterTest(...schemas: string[]): void {
  onTestFinished(async () => {
    const client = new Client(testConnection());
    await client.connect();
    // A test that failed half-way may leave a session holding locks in its schemas.
    await client.query(
      'SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation ' +
        'JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY ($1) AND l.pid <> pg_backend_pid()',
      [schemas],
    );
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
}

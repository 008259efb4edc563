import { createServer, type Server } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { parseConfig, runtimeSettings, type TableContract } from '@app/config';
import {
  buildWarehouse,
  encodeCsv,
  WarehouseFailure,
  WarehouseTlsRefused,
  type Destination,
} from '@app/warehouse';
import { withRetry } from '@app/sink/flush/retry';
import { buildSink } from '@app/sink/sink.wiring';
import { createLogger } from '@app/observability';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../support/ports';
import { startTlsPostgres, type TlsPostgres } from '../support/tls-postgres';

/**
 * TLS to PostgreSQL with libpq's sslmode semantics (issue 17), against a cluster of its own that
 * accepts TLS connections only, its certificate signed by a test CA. Every destination is built
 * by buildWarehouse from DATABASE_URL and the PGSSL* variables, as the sink and the CLI build it,
 * and each case starts as the sink does: preparing the state tables, retried by the sink's own
 * withRetry, which gives up at once on an error that is not retriable.
 */
describe('TLS to PostgreSQL (sslmode)', () => {
  let cluster: TlsPostgres;
  const config = parseConfig({
    tables: [{ name: 'tls.items', columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] }],
  });
  const contract = config.tables[0] as TableContract;

  beforeAll(async () => {
    cluster = await startTlsPostgres();
  });
  afterAll(async () => cluster?.stop());

  function warehouse(databaseUrl: string, env: Record<string, string> = {}): Destination {
    const { destination } = buildWarehouse(config, runtimeSettings({ DATABASE_URL: databaseUrl }), env, {
      applicationName: 'tablelane-tls-test',
      maxConnections: 2,
    });
    onTestFinished(() => destination.close());
    return destination;
  }

  /** Starts as the sink starts (SinkRunner.prepareTables): retried while the error is retriable. */
  async function start(destination: Destination): Promise<{ error?: unknown; retries: number; ms: number }> {
    const began = Date.now();
    let retries = 0;
    try {
      await withRetry(
        () => destination.prepareState(contract),
        { shouldContinue: () => Date.now() - began < 20_000, onRetry: () => void retries++ },
        { initialDelayMs: 50, maxDelayMs: 500 },
      );
      return { error: undefined, retries, ms: Date.now() - began };
    } catch (error) {
      return { error, retries, ms: Date.now() - began };
    }
  }

  it('loads a batch with sslmode=verify-full against the CA that signed the server', async () => {
    const destination = warehouse(
      cluster.url('127.0.0.1', `sslmode=verify-full&sslrootcert=${cluster.caPath}`),
    );
    expect(await start(destination)).toMatchObject({ error: undefined, retries: 0 });
    await destination.prepareTable(contract);
    const claim = await destination.claimLane(contract, 'changes', 0, 'tls-test');
    const body = encodeCsv([
      { op: 'u', values: ['1', 'over TLS'] },
      { op: 'u', values: ['2', 'verified'] },
    ]);
    await destination.applyBatch({
      contract,
      topic: 'changes',
      partition: 0,
      claim,
      nextOffset: claim.lastOffset + 2,
      rowCount: 2,
      openStagedData: async () => Readable.from([body]),
    });

    // What the warehouse holds, read back over a connection of its own that shows it is TLS.
    const client = new Client({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'postgres',
      database: 'postgres',
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    onTestFinished(() => client.end());
    const { rows } = await client.query('SELECT id::text, val FROM tls.items ORDER BY id');
    expect(rows).toEqual([
      { id: '1', val: 'over TLS' },
      { id: '2', val: 'verified' },
    ]);
    const sessions = await client.query(
      "SELECT bool_and(s.ssl) AS all_tls, count(*)::int AS n FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'tablelane-tls-test'",
    );
    expect(sessions.rows[0]).toMatchObject({ all_tls: true });
    expect(sessions.rows[0].n).toBeGreaterThan(0);
  });

  it('fails at once, not retried, naming the setting to fix, when the CA did not sign the server', async () => {
    const { error, retries, ms } = await start(
      warehouse(cluster.url('127.0.0.1', `sslmode=verify-full&sslrootcert=${cluster.otherCaPath}`)),
    );
    expect(error).toBeInstanceOf(WarehouseTlsRefused);
    expect(error).toMatchObject({ code: 'WAREHOUSE_TLS_REFUSED', retriable: false });
    expect((error as Error).message).toContain(
      `the certificate of the PostgreSQL server at 127.0.0.1:${cluster.port} is not signed by the CA in sslrootcert=${cluster.otherCaPath} (DATABASE_URL)`,
    );
    expect((error as Error).message).toMatch(
      /set sslrootcert in DATABASE_URL or PGSSLROOTCERT to the CA bundle that signed it; see docs\/deploy.md/,
    );
    expect(retries).toBe(0);
    expect(ms).toBeLessThan(3_000);

    // The same from the variables, when DATABASE_URL says nothing about TLS.
    const fromVariables = await start(
      warehouse(cluster.url('127.0.0.1'), { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: cluster.otherCaPath }),
    );
    expect(fromVariables.error).toBeInstanceOf(WarehouseTlsRefused);
    expect((fromVariables.error as Error).message).toContain(
      `sslrootcert=${cluster.otherCaPath} (PGSSLROOTCERT)`,
    );
    expect(fromVariables.retries).toBe(0);
  });

  it("stops the sink's own start at once (SinkRunner.start, after which the process exits 1)", async () => {
    const lines: string[] = [];
    const sink = buildSink(
      createLogger(
        'sink',
        new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }),
      ),
      {
        TABLELANE_CONFIG: 'tablelane.yaml',
        DATABASE_URL: cluster.url('127.0.0.1', `sslmode=verify-full&sslrootcert=${cluster.otherCaPath}`),
      },
    );
    onTestFinished(() => sink.destination.close());
    const began = Date.now();
    await expect(sink.runner.start()).rejects.toThrow(WarehouseTlsRefused);
    expect(Date.now() - began).toBeLessThan(3_000);
    // What it connects with is logged, paths only.
    expect(lines.join('')).toContain(`"sslrootcert":"${cluster.otherCaPath}"`);
  });

  it('verify-full checks the host name (127.0.0.2 is not in the certificate); verify-ca only the chain', async () => {
    const ca = `sslrootcert=${cluster.caPath}`;
    const full = await start(warehouse(cluster.url('127.0.0.2', `sslmode=verify-full&${ca}`)));
    expect(full.error).toBeInstanceOf(WarehouseTlsRefused);
    expect((full.error as Error).message).toMatch(
      /does not name the host connected to, which sslmode=verify-full \(DATABASE_URL\) requires \(.*127\.0\.0\.2.*\); connect by a name the certificate lists/,
    );
    expect(full.retries).toBe(0);

    expect(await start(warehouse(cluster.url('127.0.0.2', `sslmode=verify-ca&${ca}`)))).toMatchObject({
      error: undefined,
    });
    // localhost is in the certificate (as DNS:localhost).
    expect(await start(warehouse(cluster.url('localhost', `sslmode=verify-full&${ca}`)))).toMatchObject({
      error: undefined,
    });
  });

  it('sslmode=require encrypts without a CA; disable is refused by a server that wants TLS, and not retried', async () => {
    expect(await start(warehouse(cluster.url('127.0.0.1', 'sslmode=require')))).toMatchObject({
      error: undefined,
    });
    const plain = await start(warehouse(cluster.url('127.0.0.1', 'sslmode=disable')));
    expect(plain.error).toBeInstanceOf(WarehouseFailure);
    expect(plain.error).toMatchObject({ code: '28000', retriable: false });
    expect((plain.error as Error).message).toMatch(/no encryption/);
    expect(plain.retries).toBe(0);
  });

  it('fails at once when the server does not speak TLS at all', async () => {
    // A PostgreSQL-protocol server that answers the request for TLS with "N" (ssl = off).
    const server: Server = createServer((socket) => socket.once('data', () => socket.end('N')));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { error, retries } = await start(
      warehouse(`postgres://postgres@127.0.0.1:${port}/postgres?sslmode=require`),
    );
    expect(error).toBeInstanceOf(WarehouseTlsRefused);
    expect((error as Error).message).toBe(
      `the PostgreSQL server at 127.0.0.1:${port} does not accept TLS connections, and sslmode=require (DATABASE_URL) requires TLS; turn TLS on at the server (ssl=on), or set sslmode=disable if an unencrypted connection is acceptable; see docs/deploy.md#tls-to-the-warehouse`,
    );
    expect(retries).toBe(0);
  });
});

// The pipeline support loads the router harness first (read_committed fix before kafkajs).
import { cliPipeline } from '../cli/support/pipeline';
import { apiKeys, startGateway } from '../router/support/harness';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { lookup } from 'node:dns/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka';
import { testPool } from '../support/postgres';

/** What scripts/stack/up.sh sets up for its SASL_SSL listener. */
const TLS_DIR = resolve(__dirname, '../../.stack/tls');
const SECURE_BROKERS = `127.0.0.1:${process.env.TABLELANE_KAFKA_SECURE_PORT ?? '9094'}`;
const SASL_USER = 'tablelane';
const SASL_PASSWORD = 'tablelane-sasl-secret';
const REGISTRY = new URL(process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7');
const REGISTRY_USER_INFO = 'registry-key:registry-secret';

/**
 * The registry as Confluent Cloud serves it: HTTPS (a certificate of the stack's CA) and HTTP
 * basic auth, in front of the stack's Apicurio. Requests without the credentials get 401.
 */
async function startSecureRegistry(): Promise<{ url: string; authorized: () => number; close: () => void }> {
  let authorized = 0;
  const expected = `Basic ${Buffer.from(REGISTRY_USER_INFO).toString('base64')}`;
  const server = createServer(
    { key: readFileSync(join(TLS_DIR, 'broker.key')), cert: readFileSync(join(TLS_DIR, 'broker.crt')) },
    (req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":401}');
        return;
      }
      authorized++;
      const upstream = httpRequest(
        {
          host: REGISTRY.hostname,
          port: REGISTRY.port,
          path: `${REGISTRY.pathname.replace(/\/$/, '')}${req.url}`,
          method: req.method,
          headers: withoutAuthorization({ ...req.headers, host: REGISTRY.host }),
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    },
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, authorized: () => authorized, close: () => server.close() };
}

function withoutAuthorization<T extends { authorization?: unknown }>(headers: T): Omit<T, 'authorization'> {
  const rest = { ...headers };
  delete rest.authorization;
  return rest;
}

let dir: string;
let registry: Awaited<ReturnType<typeof startSecureRegistry>>;
/** Connection settings of every process: the SASL_SSL listener and the HTTPS registry only. */
let secure: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(join(TLS_DIR, 'ca.crt')))
    throw new Error(`${TLS_DIR}/ca.crt is missing: start the stack with scripts/stack/up.sh`);
  dir = mkdtempSync(join(tmpdir(), 'tablelane-secure-'));
  // The password comes from a mounted file, as a Kubernetes Secret would give it.
  writeFileSync(join(dir, 'sasl-password'), `${SASL_PASSWORD}\n`);
  registry = await startSecureRegistry();
  secure = {
    KAFKA_BROKERS: SECURE_BROKERS,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_LOCATION: join(TLS_DIR, 'ca.crt'),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: SASL_USER,
    KAFKA_SASL_PASSWORD_FILE: join(dir, 'sasl-password'),
    SCHEMA_REGISTRY_URL: registry.url,
    SCHEMA_REGISTRY_SSL_CA_LOCATION: join(TLS_DIR, 'ca.crt'),
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: REGISTRY_USER_INFO,
  };
});

afterAll(() => registry?.close());

const TABLES = (schema: string) => [
  { name: `${schema}.orders`, columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] },
  { name: `${schema}.items`, columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] },
];

describe('the pipeline over SASL_SSL only (SCRAM, CA-verified, host name checked)', () => {
  it('creates topics, routes, loads and reports lag with every Kafka client on the secure listener', async () => {
    const p = cliPipeline('secure.e2e', secure);
    const tables = TABLES(p.schema);
    const config = p.writeConfig(tables);
    await p.createTopics(config, { ingest: 2, changes: 2 });

    const router = p.startRouter(config);
    await router.waitFor(/router running/);
    const sink = p.startSink(config);
    const keys = apiKeys([{ name: 'all', tables: tables.map((t) => t.name) }]);
    const { url } = await startGateway(config, keys.env, secure);

    const changes = tables.flatMap((t) =>
      Array.from({ length: 50 }, (_, i) => ({
        table: t.name,
        op: 'upsert',
        id: String(i),
        row: { id: i, qty: i },
      })),
    );
    const sent = await fetch(`${url}/v1/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.keys.all}` },
      body: JSON.stringify(changes),
    });
    expect([sent.status, await sent.json()]).toEqual([202, { accepted: 100 }]);

    const pool = testPool();
    try {
      await waitFor(
        'every change in the warehouse',
        async () => {
          for (const t of tables) {
            const rows = await pool
              .query(`SELECT count(*)::int AS n FROM ${t.name}`)
              .catch(() => ({ rows: [{ n: 0 }] }));
            if (rows.rows[0].n !== 50) return false;
          }
          return true;
        },
        60_000,
      );
    } catch (error) {
      throw new Error(
        `${String(error)}\nrouter:\n${router.output().slice(-3000)}\nsink:\n${sink.output().slice(-3000)}`,
        { cause: error },
      );
    }

    let lag: { table: string; messagesBehind: number }[] = [];
    await waitFor(
      'the CLI to report no lag over the secure listener',
      async () => {
        lag = await p.cliJson<typeof lag>(config, ['lag']);
        return lag.every((l) => l.messagesBehind === 0);
      },
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(lag)}\nsink:\n${sink.output().slice(-3000)}`, {
        cause: error,
      });
    });
    expect(lag.map((l) => l.table)).toEqual(tables.map((t) => t.name));
    // The router registered and looked up the ingest schema through the authenticating proxy.
    expect(registry.authorized()).toBeGreaterThan(0);
    expect(router.output() + sink.output()).not.toContain(SASL_PASSWORD);
  });

  it('stops a start at once, naming the setting, when the password is wrong or the CA untrusted', async () => {
    const p = cliPipeline('secure.refused', secure);
    const config = p.writeConfig(TABLES(p.schema));

    const wrongPassword = cliPipeline('secure.refused.pw', {
      ...secure,
      KAFKA_SASL_PASSWORD_FILE: '',
      KAFKA_SASL_PASSWORD: 'not-the-password',
    });
    let started = Date.now();
    const router = wrongPassword.startRouter(config);
    expect(await router.exited).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(router.output()).toMatch(/refused the SASL credentials of user "tablelane".*KAFKA_SASL_PASSWORD/);
    expect(router.output()).not.toContain('not-the-password');

    // Another CA: the broker's certificate does not chain to it.
    const otherCa = join(dir, 'other-ca.crt');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=not the stack CA',
        '-keyout',
        join(dir, 'other-ca.key'),
        '-out',
        otherCa,
      ],
      { stdio: 'ignore' },
    );
    const untrusted = cliPipeline('secure.refused.ca', { ...secure, KAFKA_SSL_CA_LOCATION: otherCa });
    started = Date.now();
    const sink = untrusted.startSink(config);
    expect(await sink.exited).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(sink.output()).toMatch(
      /certificate of Kafka at .* is not signed by the CA in KAFKA_SSL_CA_LOCATION/,
    );

    const cli = await untrusted.cli(config, ['lag']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/KAFKA_SSL_CA_LOCATION/);

    // The host name is checked: this machine's own name reaches the same broker, but the
    // certificate names only 127.0.0.1 and localhost.
    const name = hostname();
    if ((await lookup(name, { family: 4 }).catch(() => undefined))?.address === '127.0.0.1') {
      const byName = await p.cli(config, ['lag'], {
        KAFKA_BROKERS: `${name}:${SECURE_BROKERS.split(':')[1]}`,
      });
      expect(byName.code).not.toBe(0);
      expect(byName.stderr).toMatch(/does not name the host connected to.*KAFKA_SSL_VERIFY_HOSTNAME/);
    }
  });
});

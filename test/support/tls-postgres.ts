import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

/** PostgreSQL 15's server binaries, as Debian installs them (PG_BIN to point elsewhere). */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A PostgreSQL cluster of its own that accepts TLS connections only, and its certificates. */
export interface TlsPostgres {
  port: number;
  /** The CA that signed the server's certificate (SAN IP:127.0.0.1, DNS:localhost). */
  caPath: string;
  /** A CA that signed nothing the server presents. */
  otherCaPath: string;
  /** postgres://postgres@<host>:<port>/postgres, with `query` appended. */
  url(host: string, query?: string): string;
  stop(): Promise<void>;
}

/** Runs openssl in `dir`; `command` is split on spaces (no argument here has one). */
function openssl(dir: string, command: string): void {
  execFileSync('openssl', command.split(' '), { cwd: dir, stdio: 'pipe' });
}

const EC_KEY = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';

/** A self-signed CA: <name>.key and <name>.crt in `dir`. */
function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    `req -x509 ${EC_KEY} -keyout ${name}.key -out ${name}.crt -days 2 -subj /CN=tablelane-test-${name} ` +
      '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
  );
}

/**
 * Starts a second PostgreSQL 15 cluster in a temporary directory, on a free port of 127.0.0.1
 * and 127.0.0.2, with `ssl = on` and a server certificate signed by a test CA (openssl), whose
 * pg_hba accepts TLS connections (trust) and rejects every other. Run as root, the server runs
 * as the `postgres` user (runuser), which initdb and postgres insist on.
 */
export async function startTlsPostgres(): Promise<TlsPostgres> {
  for (const binary of ['initdb', 'pg_ctl'])
    if (!existsSync(join(PG_BIN, binary)))
      throw new Error(`${join(PG_BIN, binary)} not found: install PostgreSQL 15's server or set PG_BIN`);
  const dir = mkdtempSync(join(tmpdir(), 'tablelane-pg-tls-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  const run = (binary: string, ...args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(PG_BIN, binary), ...args], { stdio: 'pipe' })
      : execFileSync(join(PG_BIN, binary), args, { stdio: 'pipe' });

  try {
    return await startIn(dir, data, run);
  } catch (error) {
    const log = join(dir, 'server.log');
    const tail = existsSync(log) ? `\n${readFileSync(log, 'utf8').slice(-2_000)}` : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the TLS PostgreSQL cluster did not start: ${(error as Error).message}${tail}`, {
      cause: error,
    });
  }
}

async function startIn(
  dir: string,
  data: string,
  run: (binary: string, ...args: string[]) => unknown,
): Promise<TlsPostgres> {
  const asRoot = userInfo().uid === 0;
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, `req ${EC_KEY} -keyout server.key -out server.csr -subj /CN=localhost`);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    dir,
    'x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext',
  );
  if (asRoot) execFileSync('chown', ['-R', 'postgres:', dir]);
  run('initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions');

  const port = await freePort();
  // The server reads its key only when private to it (0600, its owner).
  for (const file of ['server.crt', 'server.key'])
    execFileSync('install', [...(asRoot ? ['-o', 'postgres'] : []), '-m', '0600', join(dir, file), data]);
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1,127.0.0.2'",
      "unix_socket_directories = ''",
      'ssl = on',
      "ssl_cert_file = 'server.crt'",
      "ssl_key_file = 'server.key'",
      'fsync = off',
      'max_connections = 20',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(data, 'pg_hba.conf'),
    'hostssl all all 127.0.0.0/8 trust\nhostnossl all all 0.0.0.0/0 reject\n',
  );
  run('pg_ctl', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start');

  return {
    port,
    caPath: join(dir, 'ca.crt'),
    otherCaPath: join(dir, 'other-ca.crt'),
    url: (host, query) => `postgres://postgres@${host}:${port}/postgres${query ? `?${query}` : ''}`,
    async stop() {
      try {
        run('pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

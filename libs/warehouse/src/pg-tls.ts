import { ConfigError, tlsCertificateProblem } from '@app/config';
import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { PoolConfig } from 'pg';
import { WarehouseError } from './errors';

/**
 * TLS to a warehouse spoken to over the PostgreSQL protocol (PostgreSQL, Aurora, Redshift),
 * with libpq's `sslmode` semantics. node-postgres reads `sslmode` in a connection string its own
 * way (`require`, `prefer` and `verify-ca` all mean verify-full there) and reads `sslrootcert`
 * itself, so tablelane parses the TLS parameters here, strips them from the connection string it
 * hands to pg, and always passes pg an explicit `ssl` option (pg then reads no PGSSL* either).
 */

/** The sslmodes tablelane implements, weakest first (libpq's, without `allow` and `prefer`). */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** A setting's value and where it was given, so a message names what to change. */
export interface Sourced {
  value: string;
  /** `DATABASE_URL` for a URL parameter, the variable's name (`PGSSLMODE`), or `the default`. */
  from: string;
}

/** What one connection's TLS is built from. URL parameters win over variables, as in libpq. */
export interface PgTlsRequest {
  /** What messages call the server: `PostgreSQL`, `Redshift`. */
  server: string;
  /** The connection URL, when the connection is given as one. */
  url?: string;
  /** The variable holding the URL (`DATABASE_URL`, `REDSHIFT_URL`). */
  urlFrom: string;
  /** host:port, for messages, when the connection is given in parts rather than as a URL. */
  address?: string;
  /** Variables standing in for the URL parameters the URL lacks (PGSSLMODE, PGSSLROOTCERT...). */
  sslmode?: Sourced;
  sslrootcert?: Sourced;
  sslcert?: Sourced;
  sslkey?: Sourced;
  /** The mode when neither the URL nor a variable sets one. */
  defaultMode: { value: SslMode; from: string };
  /** Where a `ca` hint in messages sends the reader: the variable that sets the CA without a URL. */
  rootCertVariable: string;
}

/** One connection's TLS settings, checked (no file read yet). */
export interface PgTls {
  server: string;
  mode: SslMode;
  /** Where the mode came from (`DATABASE_URL`, `PGSSLMODE`, `REDSHIFT_SSL`, `the default`). */
  modeFrom: string;
  /** The server's certificate chain is verified (verify-ca, verify-full, require with a CA). */
  verifyChain: boolean;
  /** The certificate must name the host connected to (verify-full). */
  verifyHost: boolean;
  /** The CA bundle's path; absent (or `system`): Node's bundled public CAs. */
  rootCert?: Sourced;
  /** Client certificate and key paths, for TLS client authentication. */
  clientCert?: { cert: Sourced; key: Sourced };
  /** The host and port of the URL, for messages, when the connection is given as a URL. */
  address?: string;
  /** The variable that sets the CA without a URL (PGSSLROOTCERT, REDSHIFT_SSLROOTCERT). */
  rootCertVariable: string;
  urlFrom: string;
}

type TlsParameter = 'sslmode' | 'sslrootcert' | 'sslcert' | 'sslkey';

/** Variables' values (pgTlsVariables) with the names they were read from, for a PgTlsRequest. */
export function sourcedVariables(
  values: Partial<Record<TlsParameter, string>>,
  names: Partial<Record<TlsParameter, string>>,
): Partial<Record<TlsParameter, Sourced>> {
  const sourced: Partial<Record<TlsParameter, Sourced>> = {};
  for (const [parameter, value] of Object.entries(values) as [TlsParameter, string | undefined][])
    if (value) sourced[parameter] = { value, from: names[parameter] ?? parameter };
  return sourced;
}

/** The URL parameters tablelane reads; every other TLS parameter is refused rather than ignored. */
const HANDLED: readonly TlsParameter[] = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

/** node-postgres' own parameters, which mean something else than libpq's. */
const PG_ONLY: Record<string, string> = {
  ssl: "is node-postgres' own parameter (ssl=true meant verify-full); use sslmode=verify-full, or sslmode=require to encrypt without verifying",
  uselibpqcompat: 'is not needed: tablelane reads sslmode as libpq does',
};

const REFUSED_MODES: Record<string, string> = {
  prefer:
    'falls back to an unencrypted connection, without saying so, whenever the server does not offer TLS, and never verifies the server',
  allow:
    'tries an unencrypted connection first and uses TLS only when the server insists, and never verifies the server',
  'no-verify': "is node-postgres' own mode; sslmode=require encrypts without verifying the server",
};

const MODE_FIX = 'use require (encrypt), verify-full (encrypt and verify the server), verify-ca, or disable';

/**
 * Reads the TLS parameters of the URL and the variables, checks them, and returns the URL without
 * them (for pg) and the settings. Throws a ConfigError listing every problem, each with its fix.
 */
export function parsePgTls(request: PgTlsRequest): { connectionString?: string; tls: PgTls } {
  const problems: string[] = [];
  const { url, urlFrom } = request;
  const fromUrl: Partial<Record<TlsParameter, Sourced>> = {};
  let connectionString = url;
  let address = request.address;
  const query = url?.indexOf('?') ?? -1;
  if (url !== undefined && query >= 0) {
    const params = new URLSearchParams(url.slice(query + 1));
    let removed = false;
    for (const [name, value] of [...params]) {
      if ((HANDLED as readonly string[]).includes(name)) {
        if (value !== '') fromUrl[name as TlsParameter] = { value, from: urlFrom };
        params.delete(name);
        removed = true;
      } else if (Object.hasOwn(PG_ONLY, name)) {
        problems.push(`${name}=${value} (${urlFrom}) ${PG_ONLY[name]}`);
      } else if (name.startsWith('ssl') || name === 'requiressl') {
        problems.push(
          `${name} (${urlFrom}) is not supported; remove it (tablelane reads ${HANDLED.join(', ')})`,
        );
      }
    }
    // Rebuilt only when a TLS parameter went, so any other URL reaches pg exactly as written.
    if (removed) {
      const rest = params.toString();
      connectionString = url.slice(0, query) + (rest ? `?${rest}` : '');
    }
  }
  if (url !== undefined) address = addressOf(url) ?? address;

  const pick = (name: TlsParameter) => {
    const variable = request[name];
    return fromUrl[name] ?? (variable && variable.value !== '' ? variable : undefined);
  };
  const modeSetting = pick('sslmode') ?? request.defaultMode;
  const rootCert = pick('sslrootcert');
  const cert = pick('sslcert');
  const key = pick('sslkey');
  const mode = modeSetting.value;
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    const why = REFUSED_MODES[mode];
    problems.push(
      why
        ? `sslmode=${mode} (${modeSetting.from}) is refused: it ${why}; ${MODE_FIX}`
        : `sslmode=${mode} (${modeSetting.from}) is not an sslmode; ${MODE_FIX}`,
    );
  }
  const system = rootCert?.value === 'system';
  if (mode === 'verify-ca' && !rootCert)
    problems.push(
      `sslmode=verify-ca (${modeSetting.from}) needs the CA to verify against: set sslrootcert in ${urlFrom} or ${request.rootCertVariable}; against public CAs any certificate they issued would pass, so use verify-full there`,
    );
  if (system && (mode === 'require' || mode === 'verify-ca'))
    problems.push(
      `sslrootcert=system (${rootCert.from}) needs sslmode=verify-full, not ${mode} (${modeSetting.from}): with the public CAs only the host name check tells the server from anyone else they issued a certificate to`,
    );
  if (Boolean(cert) !== Boolean(key)) {
    const [given, missing] = cert ? [cert, 'sslkey'] : [key!, 'sslcert'];
    problems.push(
      `${given === cert ? 'sslcert' : 'sslkey'} (${given.from}) needs ${missing} too: a client certificate is sent with its private key`,
    );
  }
  if (problems.length > 0) throw new ConfigError('environment', problems);

  const sslMode = mode as SslMode;
  return {
    connectionString,
    tls: {
      server: request.server,
      mode: sslMode,
      modeFrom: modeSetting.from,
      // libpq: sslmode=require with a CA file verifies the chain (as verify-ca).
      verifyChain:
        sslMode === 'verify-ca' || sslMode === 'verify-full' || (sslMode === 'require' && !!rootCert),
      verifyHost: sslMode === 'verify-full',
      ...(rootCert && !system && { rootCert }),
      ...(cert && key && { clientCert: { cert, key } }),
      ...(address && { address }),
      rootCertVariable: request.rootCertVariable,
      urlFrom,
    },
  };
}

/** host:port of a URL, for messages; undefined when it has none (a socket path, pg's PGHOST). */
function addressOf(url: string): string | undefined {
  try {
    const { hostname, port } = new URL(url);
    return hostname ? `${hostname}${port ? `:${port}` : ''}` : undefined;
  } catch {
    return undefined;
  }
}

/** The settings each ssl option was built from, for the pool that connects with it. */
const BUILT_FROM = new WeakMap<object, PgTls>();

/**
 * pg's `ssl` option for the settings: false for disable, else Node's TLS options, the CA and
 * client certificate read now (once, at startup: restart to pick up a rotated file). Throws a
 * ConfigError naming the setting when a file cannot be read or is not what it should be.
 */
export function pgSslOption(
  tls: PgTls,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): false | ConnectionOptions {
  if (tls.mode === 'disable') return false;
  const problems: string[] = [];
  const load = (name: string, setting: Sourced, marker: RegExp, what: string) => {
    try {
      const text = read(setting.value);
      if (marker.test(text)) return text;
      problems.push(`${name}=${setting.value} (${setting.from}) holds no ${what} (PEM)`);
    } catch (error) {
      problems.push(`${name}=${setting.value} (${setting.from}) cannot be read: ${(error as Error).message}`);
    }
    return undefined;
  };
  const ca = tls.rootCert && load('sslrootcert', tls.rootCert, /-----BEGIN CERTIFICATE-----/, 'certificate');
  const cert =
    tls.clientCert && load('sslcert', tls.clientCert.cert, /-----BEGIN CERTIFICATE-----/, 'certificate');
  const key =
    tls.clientCert && load('sslkey', tls.clientCert.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key');
  if (problems.length === 0 && cert && key) {
    try {
      createSecureContext({ cert, key });
    } catch (error) {
      problems.push(
        `sslcert=${tls.clientCert!.cert.value} and sslkey=${tls.clientCert!.key.value} (${tls.clientCert!.cert.from}) do not make a client certificate: ${(error as Error).message}`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError('environment', problems);
  const option: ConnectionOptions = {
    rejectUnauthorized: tls.verifyChain,
    ...(ca && { ca }),
    // verify-ca and require: the chain (if anything) is verified, not the name.
    ...(!tls.verifyHost && { checkServerIdentity: () => undefined }),
    ...(cert && key && { cert, key }),
  };
  BUILT_FROM.set(option, tls);
  return option;
}

/** pg's pool options for a connection: the URL without its TLS parameters, and `ssl`. */
export function pgTlsConnection(
  request: PgTlsRequest,
  read?: (path: string) => string,
): { pool: Pick<PoolConfig, 'connectionString' | 'ssl'>; tls: PgTls } {
  const { connectionString, tls } = parsePgTls(request);
  return {
    pool: { ...(connectionString !== undefined && { connectionString }), ssl: pgSslOption(tls, read) },
    tls,
  };
}

/** The settings a pool's `ssl` option was built from (pgSslOption), if it was. */
export function tlsOfSslOption(ssl: PoolConfig['ssl']): PgTls | undefined {
  return typeof ssl === 'object' && ssl !== null ? BUILT_FROM.get(ssl) : undefined;
}

/** A loggable view: the mode, where it came from, the file paths (never their contents). */
export function describePgTls(tls: PgTls): Record<string, unknown> {
  return {
    sslmode: tls.mode,
    from: tls.modeFrom,
    ...(tls.mode !== 'disable' && {
      verifies: tls.verifyHost ? 'chain and host name' : tls.verifyChain ? 'chain' : 'nothing',
      ...(tls.verifyChain && { sslrootcert: tls.rootCert ? tls.rootCert.value : "Node's default CAs" }),
      ...(tls.clientCert && { sslcert: tls.clientCert.cert.value, sslkey: tls.clientCert.key.value }),
    }),
  };
}

/**
 * The server refused how tablelane connects over TLS, or its certificate did not pass the
 * checks of the sslmode: retrying cannot help until a setting changes, which the message names.
 */
export class WarehouseTlsRefused extends WarehouseError {
  readonly code = 'WAREHOUSE_TLS_REFUSED';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WarehouseTlsRefused';
  }
}

/**
 * pg's error when the server answers the request for TLS with "no": it carries no code, so its
 * exact text (node-postgres lib/connection.js) is matched, nothing looser.
 */
const NO_TLS = 'The server does not support SSL connections';

const DOC = 'see docs/deploy.md#tls-to-the-warehouse';

/**
 * What a failed connect says about the TLS settings, when it says something definite: the
 * server's certificate is untrusted, expired or names another host, the server does not speak
 * TLS, or the handshake was refused (a client certificate it does not accept). Undefined for
 * anything else (a server down or unreachable is worth retrying).
 */
export function tlsRefusal(error: unknown, tls: PgTls | undefined): WarehouseTlsRefused | undefined {
  if (!tls || tls.mode === 'disable') return undefined;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // Node appends advice of its own after a ';' (--use-system-ca), which is not this fix.
  const reason = (typeof e?.message === 'string' ? e.message : String(error)).split(';')[0]!;
  const server = `the ${tls.server} server${tls.address ? ` at ${tls.address}` : ''}`;
  const certificate = `the certificate of ${server}`;
  const mode = `sslmode=${tls.mode} (${tls.modeFrom})`;
  const ca = tls.rootCert
    ? `the CA in sslrootcert=${tls.rootCert.value} (${tls.rootCert.from})`
    : `any of Node's default CAs (no sslrootcert is set)`;
  const setCa = `set sslrootcert in ${tls.urlFrom} or ${tls.rootCertVariable} to the CA bundle that signed it`;
  const problem = tlsCertificateProblem(code);
  let message: string | undefined;
  if (problem === 'untrusted')
    message = `${certificate} is not signed by ${ca} (${reason}, ${code}); ${setCa}; ${DOC}`;
  else if (problem === 'expired')
    message = `${certificate} is expired or not yet valid (${reason}, ${code}); renew the server's certificate (or check this host's clock); ${DOC}`;
  else if (problem === 'wrong-name')
    message = `${certificate} does not name the host connected to, which ${mode} requires (${reason}); connect by a name the certificate lists, or use sslmode=verify-ca with sslrootcert to verify the chain only; ${DOC}`;
  else if (code?.startsWith('ERR_SSL_'))
    message = `the TLS handshake with ${server} failed (${reason}); ${tls.clientCert ? `check that the server accepts the client certificate sslcert=${tls.clientCert.cert.value} (${tls.clientCert.cert.from})` : 'check that the server requires no client certificate (sslcert, sslkey) and speaks TLS on this port'}; ${DOC}`;
  else if (code === undefined && reason === NO_TLS)
    message = `${server} does not accept TLS connections, and ${mode} requires TLS; turn TLS on at the server (ssl=on), or set sslmode=disable if an unencrypted connection is acceptable; ${DOC}`;
  return message ? new WarehouseTlsRefused(message, { cause: error }) : undefined;
}

import { ConfigError } from '@app/config';
import type { ConnectionOptions } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  describePgTls,
  parsePgTls,
  pgSslOption,
  pgTlsConnection,
  tlsOfSslOption,
  tlsRefusal,
  WarehouseTlsRefused,
  type PgTlsRequest,
} from './pg-tls';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const FILES: Record<string, string> = { '/tls/ca.pem': CA, '/tls/not-a-ca.txt': 'hello' };
const read = (path: string) => {
  const text = FILES[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};

const URL = 'postgres://tablelane:secret@db.example.com:5432/warehouse';

function request(url?: string, variables: Partial<PgTlsRequest> = {}): PgTlsRequest {
  return {
    server: 'PostgreSQL',
    url,
    urlFrom: 'DATABASE_URL',
    defaultMode: { value: 'disable', from: 'the default' },
    rootCertVariable: 'PGSSLROOTCERT',
    ...variables,
  };
}

/** pg's ssl option for a DATABASE_URL (and variables), the CA read from FILES. */
function sslFor(url?: string, variables?: Partial<PgTlsRequest>) {
  return pgTlsConnection(request(url, variables), read).pool.ssl as false | ConnectionOptions;
}

function problemsOf(make: () => unknown): string[] {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the settings to be refused');
}

describe('sslmode, as libpq reads it', () => {
  it('disable (the default): no TLS, and pg is told so (it reads no PGSSLMODE itself)', () => {
    expect(sslFor(URL)).toBe(false);
    expect(sslFor(`${URL}?sslmode=disable&sslrootcert=/tls/ca.pem`)).toBe(false);
    expect(sslFor(undefined)).toBe(false);
  });

  it('require: encrypts without verifying the chain or the name', () => {
    const ssl = sslFor(`${URL}?sslmode=require`) as ConnectionOptions;
    expect(ssl).toMatchObject({ rejectUnauthorized: false });
    expect(ssl.ca).toBeUndefined();
    expect(ssl.checkServerIdentity?.('db.example.com', {} as never)).toBeUndefined();
  });

  it('require with a CA verifies the chain, not the name (libpq: as verify-ca)', () => {
    const ssl = sslFor(`${URL}?sslmode=require&sslrootcert=/tls/ca.pem`) as ConnectionOptions;
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: CA });
    expect(ssl.checkServerIdentity?.('db.example.com', {} as never)).toBeUndefined();
  });

  it('verify-ca: the chain against the CA, not the host name', () => {
    const ssl = sslFor(`${URL}?sslmode=verify-ca&sslrootcert=/tls/ca.pem`) as ConnectionOptions;
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: CA });
    expect(ssl.checkServerIdentity?.('other.example.com', {} as never)).toBeUndefined();
  });

  it("verify-full: the chain and the host name (Node's own check); without a CA, Node's default CAs", () => {
    const ssl = sslFor(`${URL}?sslmode=verify-full&sslrootcert=/tls/ca.pem`) as ConnectionOptions;
    expect(ssl).toEqual({ rejectUnauthorized: true, ca: CA });
    expect(sslFor(`${URL}?sslmode=verify-full`)).toEqual({ rejectUnauthorized: true });
    expect(sslFor(`${URL}?sslmode=verify-full&sslrootcert=system`)).toEqual({ rejectUnauthorized: true });
  });

  it('reads the variables when the URL does not say, and the URL wins when it does', () => {
    const variables = {
      sslmode: { value: 'verify-full', from: 'PGSSLMODE' },
      sslrootcert: { value: '/tls/ca.pem', from: 'PGSSLROOTCERT' },
    };
    expect(parsePgTls(request(URL, variables)).tls).toMatchObject({
      mode: 'verify-full',
      modeFrom: 'PGSSLMODE',
      rootCert: { value: '/tls/ca.pem', from: 'PGSSLROOTCERT' },
    });
    expect(parsePgTls(request(`${URL}?sslmode=require`, variables)).tls).toMatchObject({
      mode: 'require',
      modeFrom: 'DATABASE_URL',
      verifyChain: true,
      verifyHost: false,
    });
    // pg's PGHOST… parts: no URL, the variables alone.
    expect(parsePgTls(request(undefined, variables)).tls.mode).toBe('verify-full');
  });

  it('hands pg the URL without its TLS parameters, keeping the others', () => {
    const { connectionString } = parsePgTls(
      request(`${URL}?sslmode=verify-full&application_name=x&sslrootcert=/tls/ca.pem`),
    );
    expect(connectionString).toBe(`${URL}?application_name=x`);
    expect(parsePgTls(request(`${URL}?sslmode=require`)).connectionString).toBe(URL);
    expect(parsePgTls(request(URL)).connectionString).toBe(URL);
    const untouched = `${URL}?options=-c%20search_path%3Dapp`;
    expect(parsePgTls(request(untouched)).connectionString).toBe(untouched);
  });

  it('sends a client certificate and key when both are given', () => {
    FILES['/tls/client.pem'] = CA;
    FILES['/tls/client.key'] = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
    expect(
      problemsOf(() => sslFor(`${URL}?sslmode=require&sslcert=/tls/client.pem&sslkey=/tls/client.key`)),
    ).toEqual([
      expect.stringMatching(
        /^sslcert=\/tls\/client.pem and sslkey=\/tls\/client.key \(DATABASE_URL\) do not make a client certificate: /,
      ),
    ]);
    expect(problemsOf(() => sslFor(`${URL}?sslmode=require&sslcert=/tls/client.pem`))).toEqual([
      'sslcert (DATABASE_URL) needs sslkey too: a client certificate is sent with its private key',
    ]);
  });
});

describe('modes and parameters tablelane refuses, each with its fix', () => {
  it('refuses prefer and allow: they silently fall back to plaintext', () => {
    const [prefer] = problemsOf(() => parsePgTls(request(`${URL}?sslmode=prefer`)));
    expect(prefer).toMatch(
      /^sslmode=prefer \(DATABASE_URL\) is refused: it falls back to an unencrypted connection.*; use require \(encrypt\), verify-full/,
    );
    const [allow] = problemsOf(() =>
      parsePgTls(request(URL, { sslmode: { value: 'allow', from: 'PGSSLMODE' } })),
    );
    expect(allow).toMatch(
      /^sslmode=allow \(PGSSLMODE\) is refused: it tries an unencrypted connection first/,
    );
  });

  it('names a mode that is not one, and pg-only spellings', () => {
    expect(problemsOf(() => parsePgTls(request(`${URL}?sslmode=strict`)))).toEqual([
      'sslmode=strict (DATABASE_URL) is not an sslmode; use require (encrypt), verify-full (encrypt and verify the server), verify-ca, or disable',
    ]);
    expect(problemsOf(() => parsePgTls(request(`${URL}?sslmode=no-verify`)))[0]).toMatch(
      /^sslmode=no-verify \(DATABASE_URL\) is refused: it is node-postgres' own mode; sslmode=require/,
    );
    expect(problemsOf(() => parsePgTls(request(`${URL}?ssl=true`)))[0]).toMatch(
      /^ssl=true \(DATABASE_URL\) is node-postgres' own parameter/,
    );
  });

  it('refuses TLS parameters it does not implement rather than ignore them', () => {
    expect(problemsOf(() => parsePgTls(request(`${URL}?sslmode=verify-full&sslcrl=/tls/crl.pem`)))).toEqual([
      'sslcrl (DATABASE_URL) is not supported; remove it (tablelane reads sslmode, sslrootcert, sslcert, sslkey)',
    ]);
  });

  it('needs a CA for verify-ca, and verify-full for the system CAs', () => {
    expect(problemsOf(() => parsePgTls(request(`${URL}?sslmode=verify-ca`)))[0]).toMatch(
      /^sslmode=verify-ca \(DATABASE_URL\) needs the CA to verify against: set sslrootcert in DATABASE_URL or PGSSLROOTCERT/,
    );
    expect(problemsOf(() => parsePgTls(request(`${URL}?sslmode=require&sslrootcert=system`)))[0]).toMatch(
      /^sslrootcert=system \(DATABASE_URL\) needs sslmode=verify-full, not require/,
    );
  });

  it('names the file it cannot read, or that holds no certificate', () => {
    expect(problemsOf(() => sslFor(`${URL}?sslmode=verify-full&sslrootcert=/tls/missing.pem`))).toEqual([
      "sslrootcert=/tls/missing.pem (DATABASE_URL) cannot be read: ENOENT: no such file or directory, open '/tls/missing.pem'",
    ]);
    expect(
      problemsOf(() =>
        sslFor(URL, {
          sslmode: { value: 'verify-full', from: 'PGSSLMODE' },
          sslrootcert: { value: '/tls/not-a-ca.txt', from: 'PGSSLROOTCERT' },
        }),
      ),
    ).toEqual(['sslrootcert=/tls/not-a-ca.txt (PGSSLROOTCERT) holds no certificate (PEM)']);
  });
});

describe('a refused TLS connection', () => {
  const connection = pgTlsConnection(request(`${URL}?sslmode=verify-full&sslrootcert=/tls/ca.pem`), read);
  const tls = tlsOfSslOption(connection.pool.ssl);
  const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('is remembered by the ssl option it was built with', () => {
    expect(tls).toBe(connection.tls);
    expect(tlsOfSslOption(false)).toBeUndefined();
    expect(tlsOfSslOption({ rejectUnauthorized: true })).toBeUndefined();
  });

  it('an untrusted certificate: not retriable, and names the CA setting to fix', () => {
    for (const [code, message] of [
      ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ] as const) {
      // Node 24 appends advice of its own, which is not the fix here.
      const advice = '; if the root CA is installed locally, try running Node.js with --use-system-ca';
      const refused = tlsRefusal(nodeError(code, message + advice), tls);
      expect(refused).toBeInstanceOf(WarehouseTlsRefused);
      expect(refused).toMatchObject({ code: 'WAREHOUSE_TLS_REFUSED', retriable: false, dataError: false });
      expect(refused!.message).toBe(
        `the certificate of the PostgreSQL server at db.example.com:5432 is not signed by the CA in sslrootcert=/tls/ca.pem (DATABASE_URL) (${message}, ${code}); set sslrootcert in DATABASE_URL or PGSSLROOTCERT to the CA bundle that signed it; see docs/deploy.md#tls-to-the-warehouse`,
      );
    }
  });

  it('a certificate for another host, one expired, a server without TLS', () => {
    expect(
      tlsRefusal(
        nodeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
        tls,
      )?.message,
    ).toMatch(/does not name the host connected to, which sslmode=verify-full \(DATABASE_URL\) requires/);
    expect(tlsRefusal(nodeError('CERT_HAS_EXPIRED', 'certificate has expired'), tls)?.message).toMatch(
      /is expired or not yet valid/,
    );
    expect(tlsRefusal(new Error('The server does not support SSL connections'), tls)?.message).toMatch(
      /^the PostgreSQL server at db.example.com:5432 does not accept TLS connections, and sslmode=verify-full \(DATABASE_URL\) requires TLS; turn TLS on at the server/,
    );
  });

  it('leaves everything else to the warehouse classifier (an outage is worth retrying)', () => {
    expect(tlsRefusal(nodeError('ECONNREFUSED', 'connect ECONNREFUSED'), tls)).toBeUndefined();
    expect(tlsRefusal(new Error('Connection terminated unexpectedly'), tls)).toBeUndefined();
    expect(tlsRefusal(nodeError('28P01', 'password authentication failed'), tls)).toBeUndefined();
    expect(tlsRefusal(nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'x'), undefined)).toBeUndefined();
  });

  it('is described by paths and mode, never the contents of a file', () => {
    expect(describePgTls(connection.tls)).toEqual({
      sslmode: 'verify-full',
      from: 'DATABASE_URL',
      verifies: 'chain and host name',
      sslrootcert: '/tls/ca.pem',
    });
    expect(pgSslOption(parsePgTls(request(URL)).tls)).toBe(false);
  });
});

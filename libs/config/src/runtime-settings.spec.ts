import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { type Environment } from './environment.schema';
import { runtimeSettings } from './runtime-settings';

const dir = mkdtempSync(join(tmpdir(), 'tablelane-runtime-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
// Only the PEM markers are checked here; the TLS handshake is the Kafka suite's.
const CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUe2\n-----END CERTIFICATE-----\n';
const KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const ca = file('ca.crt', CERTIFICATE);
const cert = file('client.crt', CERTIFICATE);
const key = file('client.key', KEY);

function problemsOf(env: Environment): string[] {
  try {
    runtimeSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the environment to be rejected');
}

describe('runtimeSettings: defaults', () => {
  it('point at the local stack, in plaintext without authentication', () => {
    const settings = runtimeSettings({});
    expect(settings.kafka).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'tablelane' });
    expect(settings.schemaRegistry).toEqual({ url: 'http://127.0.0.1:8081/apis/ccompat/v7' });
    expect(settings.s3).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      bucket: 'tablelane',
      prefix: 'staging',
      accessKeyId: 'tablelane',
      secretAccessKey: 'tablelane-secret',
      forcePathStyle: true,
    });
    expect(settings.databaseUrl).toBeUndefined();
    expect(settings.databasePassword).toBeUndefined();
  });

  it('lists the brokers of KAFKA_BROKERS and the client id prefix', () => {
    const settings = runtimeSettings({ KAFKA_BROKERS: 'a:9092, b:9092', KAFKA_CLIENT_ID: 'x' });
    expect(settings.kafka).toMatchObject({ brokers: ['a:9092', 'b:9092'], clientId: 'x' });
  });
});

describe('runtimeSettings: Kafka TLS', () => {
  it('reads the CA bundle, client certificate and key when the settings are built', () => {
    const { kafka } = runtimeSettings({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_LOCATION: ca,
      KAFKA_SSL_CERT_LOCATION: cert,
      KAFKA_SSL_KEY_LOCATION: key,
      KAFKA_SSL_KEY_PASSWORD: 'key-passphrase',
    });
    expect(kafka.ssl).toEqual({
      ca: CERTIFICATE,
      caLocation: ca,
      cert: CERTIFICATE,
      key: KEY,
      keyPassword: 'key-passphrase',
      verifyHostname: true,
    });
  });

  it("without a CA, trusts Node's default store; hostname verification can be turned off", () => {
    expect(runtimeSettings({ KAFKA_SSL: 'true' }).kafka.ssl).toEqual({ verifyHostname: true });
    expect(runtimeSettings({ KAFKA_SSL: 'true', KAFKA_SSL_VERIFY_HOSTNAME: 'false' }).kafka.ssl).toEqual({
      verifyHostname: false,
    });
  });

  it('refuses a missing or unreadable file, naming the variable and the path', () => {
    const missing = join(dir, 'nowhere', 'ca.crt');
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_LOCATION: missing })).toEqual([
      `KAFKA_SSL_CA_LOCATION ${missing}: cannot read it: no such file (is the volume mounted there?)`,
    ]);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_LOCATION: dir })).toEqual([
      `KAFKA_SSL_CA_LOCATION ${dir}: cannot read it: is a directory, not a file`,
    ]);
  });

  it('refuses a file that is not PEM, and a certificate given for the key', () => {
    const der = file('ca.der', '0\x82\x01\xb3');
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_LOCATION: der })).toEqual([
      `KAFKA_SSL_CA_LOCATION ${der}: not a PEM certificate (no -----BEGIN CERTIFICATE----- line)`,
    ]);
    expect(
      problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_LOCATION: cert, KAFKA_SSL_KEY_LOCATION: cert }),
    ).toEqual([
      `KAFKA_SSL_KEY_LOCATION ${cert}: not a PEM private key (no -----BEGIN … PRIVATE KEY----- line)`,
    ]);
  });

  it('wants the client certificate and key together, and a key password only with a key', () => {
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_LOCATION: cert })).toEqual([
      'KAFKA_SSL_CERT_LOCATION and KAFKA_SSL_KEY_LOCATION go together (a client certificate and its key): set both or neither',
    ]);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_PASSWORD: 'pass' })).toEqual([
      'KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_LOCATION: it is the passphrase of that key',
    ]);
  });

  it('refuses TLS settings while KAFKA_SSL is not true, rather than connecting in plaintext', () => {
    expect(
      problemsOf({ KAFKA_SSL_CA_LOCATION: ca, KAFKA_SSL_CERT_LOCATION: cert, KAFKA_SSL_KEY_LOCATION: key }),
    ).toEqual(
      ['KAFKA_SSL_CA_LOCATION', 'KAFKA_SSL_CERT_LOCATION', 'KAFKA_SSL_KEY_LOCATION'].map(
        (name) =>
          `${name} is set but KAFKA_SSL is not true: set KAFKA_SSL=true to connect with TLS, or unset ${name}`,
      ),
    );
    expect(problemsOf({ KAFKA_SSL: 'false', KAFKA_SSL_VERIFY_HOSTNAME: 'false' })).toHaveLength(1);
    expect(problemsOf({ KAFKA_SSL: 'yes' })).toEqual(['KAFKA_SSL must be true or false, not yes']);
  });
});

describe('runtimeSettings: Kafka SASL', () => {
  it('reads PLAIN and SCRAM with a user and password, the mechanism in any case', () => {
    expect(
      runtimeSettings({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'tablelane',
        KAFKA_SASL_PASSWORD: 'sasl-secret',
      }).kafka,
    ).toEqual({
      brokers: ['127.0.0.1:9092'],
      clientId: 'tablelane',
      ssl: { verifyHostname: true },
      sasl: { mechanism: 'scram-sha-512', username: 'tablelane', password: 'sasl-secret' },
    });
    expect(
      runtimeSettings({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'k', KAFKA_SASL_PASSWORD: 's' })
        .kafka.sasl,
    ).toEqual({ mechanism: 'plain', username: 'k', password: 's' });
  });

  it('requires the user and password for PLAIN and SCRAM', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toEqual([
      'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=scram-sha-256',
      'KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM=scram-sha-256',
    ]);
  });

  it('reads aws-msk-iam with the region of KAFKA_SASL_AWS_REGION, else AWS_REGION', () => {
    const iam = { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM' };
    expect(runtimeSettings({ ...iam, AWS_REGION: 'eu-west-1' }).kafka.sasl).toEqual({
      mechanism: 'aws-msk-iam',
      region: 'eu-west-1',
    });
    expect(
      runtimeSettings({ ...iam, AWS_REGION: 'eu-west-1', KAFKA_SASL_AWS_REGION: 'us-east-2' }).kafka.sasl,
    ).toEqual({ mechanism: 'aws-msk-iam', region: 'us-east-2' });
    expect(problemsOf(iam)).toEqual([
      'KAFKA_SASL_AWS_REGION (or AWS_REGION) is required with KAFKA_SASL_MECHANISM=aws-msk-iam: the region of the MSK cluster',
    ]);
  });

  it('refuses aws-msk-iam in plaintext or with a user and password', () => {
    expect(
      problemsOf({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'eu-west-1', KAFKA_SASL_USERNAME: 'u' }),
    ).toEqual([
      "KAFKA_SASL_USERNAME does not apply to KAFKA_SASL_MECHANISM=aws-msk-iam, which signs in with the AWS SDK's credentials (IRSA, instance role): unset it",
      "KAFKA_SASL_MECHANISM=aws-msk-iam needs KAFKA_SSL=true: MSK's IAM listener (port 9098) is TLS only",
    ]);
  });

  it('refuses an unknown mechanism, and SASL settings without a mechanism', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'oauthbearer' })).toEqual([
      'KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, aws-msk-iam, not "oauthbearer"',
    ]);
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM is not: set it (plain, scram-sha-256, scram-sha-512, aws-msk-iam), or unset KAFKA_SASL_USERNAME',
    ]);
    expect(
      problemsOf({
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_AWS_REGION: 'x',
      }),
    ).toEqual([
      'KAFKA_SASL_AWS_REGION applies only to KAFKA_SASL_MECHANISM=aws-msk-iam, not plain: unset it',
    ]);
  });
});

describe('runtimeSettings: schema registry', () => {
  const url = 'https://psrc-abc.us-east-2.aws.confluent.cloud';

  it('reads basic auth as key:secret, and the CA of an https registry', () => {
    expect(
      runtimeSettings({
        SCHEMA_REGISTRY_URL: url,
        SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'SRKEY:sr:secret',
        SCHEMA_REGISTRY_SSL_CA_LOCATION: ca,
      }).schemaRegistry,
    ).toEqual({ url, ca: CERTIFICATE, basicAuth: { username: 'SRKEY', password: 'sr:secret' } });
  });

  it('moves credentials in the URL to basicAuth, so the URL it hands on holds none', () => {
    const settings = runtimeSettings({ SCHEMA_REGISTRY_URL: 'https://SRKEY:s%2Fcret@psrc-abc.example/apis' });
    expect(settings.schemaRegistry).toEqual({
      url: 'https://psrc-abc.example/apis',
      basicAuth: { username: 'SRKEY', password: 's/cret' },
    });
  });

  it('refuses user info that is not key:secret (without showing it), two sources, and a CA for http', () => {
    expect(
      problemsOf({ SCHEMA_REGISTRY_URL: url, SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'only-a-key' }),
    ).toEqual(['SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be key:secret (the API key, a colon, its secret)']);
    expect(
      problemsOf({ SCHEMA_REGISTRY_URL: 'https://k:s@h', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'k:s' }),
    ).toEqual([
      'SCHEMA_REGISTRY_URL holds credentials and SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO is set: give them in one place',
    ]);
    expect(problemsOf({ SCHEMA_REGISTRY_SSL_CA_LOCATION: ca })).toEqual([
      'SCHEMA_REGISTRY_SSL_CA_LOCATION is set but SCHEMA_REGISTRY_URL is not https://: use the https URL, or unset it',
    ]);
    expect(problemsOf({ SCHEMA_REGISTRY_URL: 'registry:8081' })).toEqual([
      'SCHEMA_REGISTRY_URL must be an http:// or https:// URL, not "registry:8081"',
    ]);
  });
});

describe('runtimeSettings: S3', () => {
  it("without keys outside the local stack, passes none: the AWS SDK's default chain (IRSA) applies", () => {
    const { s3 } = runtimeSettings({
      S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com',
      S3_REGION: 'eu-west-1',
    });
    expect(s3).not.toHaveProperty('accessKeyId');
    expect(s3).not.toHaveProperty('secretAccessKey');
    expect(s3.endpoint).toBe('https://s3.eu-west-1.amazonaws.com');
    expect(runtimeSettings({ S3_ENDPOINT: '' }).s3.endpoint).toBeUndefined();
    // Set empty, as an older manifest did to use the pod's role: the same.
    expect(
      runtimeSettings({ S3_ENDPOINT: '', S3_ACCESS_KEY_ID: '', S3_SECRET_ACCESS_KEY: '' }).s3,
    ).not.toHaveProperty('accessKeyId');
  });

  it('with keys, hands them on; one without the other is refused', () => {
    expect(
      runtimeSettings({ S3_ENDPOINT: '', S3_ACCESS_KEY_ID: 'AKIA1', S3_SECRET_ACCESS_KEY: 'sk' }).s3,
    ).toMatchObject({ accessKeyId: 'AKIA1', secretAccessKey: 'sk' });
    expect(problemsOf({ S3_ENDPOINT: '', S3_ACCESS_KEY_ID: 'AKIA1' })).toEqual([
      "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both for static keys, or neither for the AWS SDK's default chain (IRSA, container or instance role)",
    ]);
  });
});

describe('runtimeSettings: PostgreSQL', () => {
  it('hands PGPASSWORD or PGPASSWORD_FILE to the pool as databasePassword', () => {
    expect(runtimeSettings({ PGPASSWORD: 'pw' }).databasePassword).toBe('pw');
    expect(runtimeSettings({ PGPASSWORD_FILE: file('pgpassword', 'from-file\n') }).databasePassword).toBe(
      'from-file',
    );
    expect(
      runtimeSettings({ DATABASE_URL_FILE: file('database-url', 'postgres://u:p@db:5432/analytics\n') })
        .databaseUrl,
    ).toBe('postgres://u:p@db:5432/analytics');
  });
});

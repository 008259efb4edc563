import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeySettings } from './app-settings';
import { ConfigError } from './config-error';
import { ENVIRONMENT } from './environment';
import {
  environmentSchema,
  readVariables,
  type Environment,
  type EnvironmentVariableName,
} from './environment.schema';
import { redshiftEnvironment } from './redshift-environment';
import { runtimeSettings } from './runtime-settings';
import { redactSecrets, redactText } from './secrets';
import type { SettingMeta } from './setting-meta';

const dir = mkdtempSync(join(tmpdir(), 'tablelane-secrets-'));
let files = 0;
const secretFile = (text: string) => {
  const path = join(dir, `secret-${files++}`);
  writeFileSync(path, text);
  return path;
};

function problemsOf(read: () => unknown): string[] {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the environment to be rejected');
}

/** Every setting the issue calls a secret: each may come from `<NAME>_FILE`. */
const SECRETS: EnvironmentVariableName[] = [
  'SNAPSHOT_SOURCE_URL',
  'DATABASE_URL',
  'PGPASSWORD',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SSL_KEY_PASSWORD',
  'SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO',
  'TABLELANE_API_KEYS',
  'REDSHIFT_URL',
  'REDSHIFT_PASSWORD',
  'REDSHIFT_COPY_ACCESS_KEY_ID',
  'REDSHIFT_COPY_SECRET_ACCESS_KEY',
  'REDSHIFT_COPY_SESSION_TOKEN',
];

describe('secrets from <NAME>_FILE', () => {
  it('every secret setting is marked secret in the schema, and only those are', () => {
    const marked = Object.entries(environmentSchema.shape)
      .filter(([, schema]) => (schema.meta() as SettingMeta | undefined)?.secret)
      .map(([name]) => name);
    expect(marked.sort()).toEqual([...SECRETS].sort());
  });

  it.each(SECRETS)('%s is read from %s_FILE, its trailing newline trimmed', (name) => {
    const read = readVariables({ [`${name}_FILE`]: secretFile('s3cr3t-value\n') }, [name]);
    expect(read[name]).toBe('s3cr3t-value');
  });

  it('trims trailing line breaks only (CRLF, several), never spaces or inner lines', () => {
    const value = (text: string) =>
      readVariables({ PGPASSWORD_FILE: secretFile(text) }, ['PGPASSWORD']).PGPASSWORD;
    expect(value('pw\r\n')).toBe('pw');
    expect(value('pw\n\n')).toBe('pw');
    expect(value('pw ')).toBe('pw ');
    expect(value('line1\nline2\n')).toBe('line1\nline2');
  });

  it('refuses both NAME and NAME_FILE; an empty one counts as unset', () => {
    expect(
      problemsOf(() =>
        readVariables({ KAFKA_SASL_PASSWORD: 'a', KAFKA_SASL_PASSWORD_FILE: secretFile('b') }, [
          'KAFKA_SASL_PASSWORD',
        ]),
      ),
    ).toEqual([
      'KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set: set only one (KAFKA_SASL_PASSWORD_FILE names a file holding the value)',
    ]);
    const path = secretFile('b');
    expect(
      readVariables({ KAFKA_SASL_PASSWORD: '', KAFKA_SASL_PASSWORD_FILE: path }, ['KAFKA_SASL_PASSWORD']),
    ).toEqual({ KAFKA_SASL_PASSWORD: 'b' });
    expect(
      readVariables({ KAFKA_SASL_PASSWORD: 'a', KAFKA_SASL_PASSWORD_FILE: '' }, ['KAFKA_SASL_PASSWORD']),
    ).toEqual({ KAFKA_SASL_PASSWORD: 'a' });
  });

  it('refuses a missing file, naming the variable and the path but never a value', () => {
    const missing = join(dir, 'not-mounted', 'password');
    expect(problemsOf(() => runtimeSettings({ PGPASSWORD_FILE: missing }))).toEqual([
      `PGPASSWORD_FILE ${missing}: cannot read it: no such file (is the volume mounted there?)`,
    ]);
  });

  it('reaches every accessor: the gateway keys, SASL, the registry, Redshift', () => {
    const keys = '[{"name": "a", "sha256": "00", "tables": ["*"]}]';
    const keysFile = secretFile(`${keys}\n`);
    expect(apiKeySettings({ TABLELANE_API_KEYS_FILE: keysFile })).toEqual({
      json: keys,
      source: `TABLELANE_API_KEYS_FILE ${keysFile}`,
    });
    expect(apiKeySettings({ TABLELANE_API_KEYS: keys })).toEqual({
      json: keys,
      source: 'TABLELANE_API_KEYS',
    });
    expect(
      problemsOf(() => apiKeySettings({ TABLELANE_API_KEYS: keys, TABLELANE_API_KEYS_FILE: keysFile })),
    ).toHaveLength(1);

    const runtime = runtimeSettings({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'tablelane',
      KAFKA_SASL_PASSWORD_FILE: secretFile('sasl-pw\n'),
      SCHEMA_REGISTRY_URL: 'https://registry.example',
      SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE: secretFile('KEY:registry-secret\n'),
    });
    expect(runtime.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'tablelane',
      password: 'sasl-pw',
    });
    expect(runtime.schemaRegistry.basicAuth).toEqual({ username: 'KEY', password: 'registry-secret' });

    const redshift = redshiftEnvironment({
      REDSHIFT_URL_FILE: secretFile('postgres://u:rs-pw@cluster:5439/dev\n'),
      REDSHIFT_IAM_ROLE: 'arn:aws:iam::1:role/r',
    });
    expect(redshift.connection).toEqual({ url: 'postgres://u:rs-pw@cluster:5439/dev' });
  });

  it('the reference says "secret; or NAME_FILE" for each of them', () => {
    for (const name of SECRETS) {
      const row = ENVIRONMENT.find((v) => v.name === name)!;
      expect(row.valueType, name).toMatch(new RegExp(`secret; or \`${name}_FILE\`$`));
      expect(row.fileVariable).toBe(`${name}_FILE`);
    }
  });
});

describe('redactSecrets', () => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const keyFile = secretFile(key);
  const caFile = secretFile('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const values = {
    database: 'db-pa/ss:w@rd',
    sasl: 'sasl-password-1',
    keyPassword: 'key-passphrase-1',
    registry: 'registry-secret-1',
    s3: 'AKIAEXAMPLE-secret-1',
    pg: 'pg-file-password',
  };
  const env: Environment = {
    DATABASE_URL: `postgres://loader:${encodeURIComponent(values.database)}@db.internal:5432/analytics`,
    PGPASSWORD_FILE: secretFile(`${values.pg}\n`),
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_LOCATION: caFile,
    KAFKA_SSL_CERT_LOCATION: caFile,
    KAFKA_SSL_KEY_LOCATION: keyFile,
    KAFKA_SSL_KEY_PASSWORD_FILE: secretFile(values.keyPassword),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'tablelane',
    KAFKA_SASL_PASSWORD: values.sasl,
    SCHEMA_REGISTRY_URL: 'https://registry.example',
    SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: `SRKEY:${values.registry}`,
    S3_ENDPOINT: '',
    S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    S3_SECRET_ACCESS_KEY: values.s3,
  };

  it('masks every secret of the settings in the view that is logged, keeping the rest', () => {
    const settings = runtimeSettings(env);
    const view = redactSecrets(settings);
    const text = JSON.stringify(view);
    for (const [what, secret] of Object.entries(values)) {
      expect(text, what).not.toContain(secret);
      expect(text, what).not.toContain(encodeURIComponent(secret));
    }
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('AKIAEXAMPLE');
    expect(view.databaseUrl).toBe('postgres://loader:***@db.internal:5432/analytics');
    expect(view.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'tablelane', password: '***' });
    expect(view.kafka.ssl).toMatchObject({
      ca: '<certificate>\n',
      key: '***\n',
      keyPassword: '***',
      verifyHostname: true,
    });
    expect(view.schemaRegistry.basicAuth).toEqual({ username: 'SRKEY', password: '***' });
    expect(view.s3).toMatchObject({ accessKeyId: '***', secretAccessKey: '***', bucket: 'tablelane' });
    expect(view.databasePassword).toBe('***');
    // The settings themselves are untouched.
    expect(settings.kafka.sasl).toMatchObject({ password: values.sasl });
  });

  it('masks a secret it has read wherever it appears: an error message, a stack, a log text', () => {
    runtimeSettings(env);
    const error = new Error(`SASL authentication failed for tablelane with ${values.sasl}`, {
      cause: new Error(`connect postgres://loader:x@db.internal: ${values.database}`),
    });
    const redacted = redactSecrets(error);
    expect(redacted).toBeInstanceOf(Error);
    expect(redacted.message).toBe('SASL authentication failed for tablelane with ***');
    expect(redacted.stack).not.toContain(values.sasl);
    expect(String((redacted.cause as Error).message)).toBe('connect postgres://loader:***@db.internal: ***');
    expect(error.message).toContain(values.sasl);
    expect(redactText(`retrying with ${values.keyPassword} and ${values.pg}`)).toBe(
      'retrying with *** and ***',
    );
  });

  it('masks URL passwords and private keys it was never told about, and survives cycles', () => {
    expect(redactText('redis://:hunter2@cache:6379 and https://u:p%40ss@h/x')).toBe(
      'redis://:***@cache:6379 and https://u:***@h/x',
    );
    expect(
      redactText(
        `key: ${generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' })}`,
      ),
    ).toBe('key: ***\n');
    const cyclic: Record<string, unknown> = { password: 'p', nested: { ok: 1 } };
    cyclic.self = cyclic;
    const view = redactSecrets(cyclic);
    expect(view.password).toBe('***');
    expect(view.self).toBe(view);
    expect(redactSecrets({ when: new Date(0), n: 1n, list: ['a'] })).toEqual({
      when: new Date(0),
      n: 1n,
      list: ['a'],
    });
  });
});

import { readFileSync } from 'node:fs';
import {
  LOCAL_S3_ENDPOINT,
  LOCAL_S3_KEYS,
  readVariables,
  type Environment,
  type EnvironmentSettings,
} from './environment.schema';
import { redactText, rememberSecret, unreadable } from './secrets';

/** TLS to the brokers. `ca`, `cert` and `key` are the PEM contents, read when the settings are built. */
export interface KafkaSslSettings {
  /** Unset: Node's default trust store (public CAs: Confluent Cloud, MSK). */
  ca?: string;
  /** The client certificate and its key (mutual TLS), both or neither. */
  cert?: string;
  key?: string;
  /** Passphrase of an encrypted key. */
  keyPassword?: string;
  /** Off only for tests: a certificate for another host is then accepted. */
  verifyHostname: boolean;
  /** Where `ca` was read from (KAFKA_SSL_CA_LOCATION), for messages that name the setting to fix. */
  caLocation?: string;
}

export type KafkaSaslSettings =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  /** Signed with the AWS SDK's default credential chain (IRSA, instance role…). */
  | { mechanism: 'aws-msk-iam'; region: string };

/** How every Kafka client of every app and the CLI connects. */
export interface KafkaConnectionSettings {
  brokers: string[];
  /** Prefix of every client id; each app appends its name. */
  clientId: string;
  /** Absent: plaintext. */
  ssl?: KafkaSslSettings;
  /** Absent: no authentication. */
  sasl?: KafkaSaslSettings;
}

/** How the schema registry is reached. */
export interface RegistryConnectionSettings {
  /** Without credentials: those of `https://key:secret@host` are moved to basicAuth. */
  url: string;
  /** PEM contents of SCHEMA_REGISTRY_SSL_CA_LOCATION; unset: Node's default trust store. */
  ca?: string;
  basicAuth?: { username: string; password: string };
}

export interface S3ConnectionSettings {
  /** Absent: AWS's regional endpoint. */
  endpoint?: string;
  region: string;
  bucket: string;
  prefix: string;
  /** Both or neither; neither: the AWS SDK's default credential chain (IRSA, instance role…). */
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/**
 * Connection settings from the environment. Secrets stay in this object: log or show it only
 * through redactSecrets (the logger applies it to every line).
 */
export interface RuntimeSettings {
  kafka: KafkaConnectionSettings;
  schemaRegistry: RegistryConnectionSettings;
  s3: S3ConnectionSettings;
  /** pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE itself; DATABASE_URL wins when set. */
  databaseUrl?: string;
  /**
   * PGPASSWORD or the contents of PGPASSWORD_FILE: pg reads only the former itself, so the pool
   * is given this as `password` (a password in DATABASE_URL still wins).
   */
  databasePassword?: string;
}

const NAMES = [
  'KAFKA_BROKERS',
  'KAFKA_CLIENT_ID',
  'KAFKA_SSL',
  'KAFKA_SSL_CA_LOCATION',
  'KAFKA_SSL_CERT_LOCATION',
  'KAFKA_SSL_KEY_LOCATION',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SSL_VERIFY_HOSTNAME',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_AWS_REGION',
  'AWS_REGION',
  'SCHEMA_REGISTRY_URL',
  'SCHEMA_REGISTRY_SSL_CA_LOCATION',
  'SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_BUCKET',
  'S3_PREFIX',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'S3_FORCE_PATH_STYLE',
  'DATABASE_URL',
  'PGPASSWORD',
] as const;

type Read = Partial<Pick<EnvironmentSettings, (typeof NAMES)[number]>>;

/**
 * Reads and checks every connection setting; throws one ConfigError listing every problem, each
 * naming the variable to fix. PEM files (CA bundles, the client certificate and key) are read
 * here, so a missing or unreadable file stops the app at startup, naming the variable and path.
 */
export function runtimeSettings(env: Environment = process.env): RuntimeSettings {
  let kafka: KafkaConnectionSettings | undefined;
  let schemaRegistry: RegistryConnectionSettings | undefined;
  let s3: S3ConnectionSettings | undefined;
  const read = readVariables(env, NAMES, (r) => {
    const problems: string[] = [];
    kafka = kafkaConnection(r, problems);
    schemaRegistry = registryConnection(r, problems);
    s3 = s3Connection(r, problems);
    return problems;
  });
  return {
    // All three are set whenever the relations found no problem, and readVariables threw otherwise.
    kafka: kafka!,
    schemaRegistry: schemaRegistry!,
    s3: s3!,
    databaseUrl: read.DATABASE_URL || undefined,
    databasePassword: read.PGPASSWORD || undefined,
  };
}

/** The Kafka connection alone (the same checks as runtimeSettings). */
export function kafkaConnectionSettings(env: Environment = process.env): KafkaConnectionSettings {
  return runtimeSettings(env).kafka;
}

/** The registry connection alone (the same checks as runtimeSettings). */
export function registryConnectionSettings(env: Environment = process.env): RegistryConnectionSettings {
  return runtimeSettings(env).schemaRegistry;
}

const SSL_VARIABLES = [
  'KAFKA_SSL_CA_LOCATION',
  'KAFKA_SSL_CERT_LOCATION',
  'KAFKA_SSL_KEY_LOCATION',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SSL_VERIFY_HOSTNAME',
] as const;

function kafkaConnection(r: Read, problems: string[]): KafkaConnectionSettings {
  const brokers = (r.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const settings: KafkaConnectionSettings = { brokers, clientId: r.KAFKA_CLIENT_ID ?? 'tablelane' };
  if (r.KAFKA_SSL === true) settings.ssl = kafkaSsl(r, problems);
  else if (r.KAFKA_SSL === false)
    for (const name of SSL_VARIABLES)
      if (r[name] !== undefined && r[name] !== '')
        problems.push(
          `${name} is set but KAFKA_SSL is not true: set KAFKA_SSL=true to connect with TLS, or unset ${name}`,
        );
  const sasl = kafkaSasl(r, problems);
  if (sasl) settings.sasl = sasl;
  return settings;
}

function kafkaSsl(r: Read, problems: string[]): KafkaSslSettings {
  const caLocation = r.KAFKA_SSL_CA_LOCATION || undefined;
  const certLocation = r.KAFKA_SSL_CERT_LOCATION || undefined;
  const keyLocation = r.KAFKA_SSL_KEY_LOCATION || undefined;
  if ((certLocation === undefined) !== (keyLocation === undefined))
    problems.push(
      'KAFKA_SSL_CERT_LOCATION and KAFKA_SSL_KEY_LOCATION go together (a client certificate and its key): set both or neither',
    );
  if (r.KAFKA_SSL_KEY_PASSWORD && keyLocation === undefined)
    problems.push(
      'KAFKA_SSL_KEY_PASSWORD is set without KAFKA_SSL_KEY_LOCATION: it is the passphrase of that key',
    );
  const ssl: KafkaSslSettings = { verifyHostname: r.KAFKA_SSL_VERIFY_HOSTNAME ?? true };
  const ca = pemFile('KAFKA_SSL_CA_LOCATION', caLocation, 'certificate', problems);
  if (ca !== undefined) Object.assign(ssl, { ca, caLocation });
  const cert = pemFile('KAFKA_SSL_CERT_LOCATION', certLocation, 'certificate', problems);
  if (cert !== undefined) ssl.cert = cert;
  const key = pemFile('KAFKA_SSL_KEY_LOCATION', keyLocation, 'private key', problems);
  if (key !== undefined) ssl.key = key;
  if (r.KAFKA_SSL_KEY_PASSWORD) ssl.keyPassword = r.KAFKA_SSL_KEY_PASSWORD;
  return ssl;
}

function kafkaSasl(r: Read, problems: string[]): KafkaSaslSettings | undefined {
  // Absent: the mechanism did not parse, and that problem is reported already.
  if (!('KAFKA_SASL_MECHANISM' in r)) return undefined;
  const mechanism = r.KAFKA_SASL_MECHANISM;
  const username = r.KAFKA_SASL_USERNAME || undefined;
  const password = r.KAFKA_SASL_PASSWORD || undefined;
  const region = r.KAFKA_SASL_AWS_REGION || undefined;
  const given = {
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
    KAFKA_SASL_AWS_REGION: region,
  };
  if (mechanism === undefined) {
    for (const [name, value] of Object.entries(given))
      if (value !== undefined)
        problems.push(
          `${name} is set but KAFKA_SASL_MECHANISM is not: set it (plain, scram-sha-256, scram-sha-512, aws-msk-iam), or unset ${name}`,
        );
    return undefined;
  }
  if (mechanism === 'aws-msk-iam') {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const)
      if (given[name] !== undefined)
        problems.push(
          `${name} does not apply to KAFKA_SASL_MECHANISM=aws-msk-iam, which signs in with the AWS SDK's credentials (IRSA, instance role): unset it`,
        );
    if (r.KAFKA_SSL === false)
      problems.push(
        "KAFKA_SASL_MECHANISM=aws-msk-iam needs KAFKA_SSL=true: MSK's IAM listener (port 9098) is TLS only",
      );
    const awsRegion = region ?? (r.AWS_REGION || undefined);
    if (awsRegion === undefined)
      problems.push(
        'KAFKA_SASL_AWS_REGION (or AWS_REGION) is required with KAFKA_SASL_MECHANISM=aws-msk-iam: the region of the MSK cluster',
      );
    return { mechanism, region: awsRegion ?? '' };
  }
  if (region !== undefined)
    problems.push(
      `KAFKA_SASL_AWS_REGION applies only to KAFKA_SASL_MECHANISM=aws-msk-iam, not ${mechanism}: unset it`,
    );
  if (username === undefined)
    problems.push(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${mechanism}`);
  if (password === undefined)
    problems.push(
      `KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM=${mechanism}`,
    );
  return { mechanism, username: username ?? '', password: password ?? '' };
}

function registryConnection(r: Read, problems: string[]): RegistryConnectionSettings {
  const raw = r.SCHEMA_REGISTRY_URL ?? '';
  let url = raw;
  let https = false;
  let basicAuth: RegistryConnectionSettings['basicAuth'];
  let parses = true;
  try {
    const parsed = new URL(raw);
    https = parsed.protocol === 'https:';
    if (parsed.protocol !== 'http:' && !https) throw new Error('not http');
    if (parsed.username || parsed.password) {
      basicAuth = {
        username: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
      };
      rememberSecret(basicAuth.password);
      url = raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
    }
  } catch {
    parses = false;
    problems.push(
      `SCHEMA_REGISTRY_URL must be an http:// or https:// URL, not ${JSON.stringify(redactText(raw))}`,
    );
  }
  const userInfo = r.SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO || undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    if (basicAuth)
      problems.push(
        'SCHEMA_REGISTRY_URL holds credentials and SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO is set: give them in one place',
      );
    else if (colon <= 0 || colon === userInfo.length - 1)
      problems.push(
        'SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO must be key:secret (the API key, a colon, its secret)',
      );
    else {
      basicAuth = { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) };
      rememberSecret(basicAuth.password);
    }
  }
  const caLocation = r.SCHEMA_REGISTRY_SSL_CA_LOCATION || undefined;
  if (caLocation !== undefined && parses && !https)
    problems.push(
      'SCHEMA_REGISTRY_SSL_CA_LOCATION is set but SCHEMA_REGISTRY_URL is not https://: use the https URL, or unset it',
    );
  const ca = pemFile('SCHEMA_REGISTRY_SSL_CA_LOCATION', caLocation, 'certificate', problems);
  return { url, ...(ca !== undefined ? { ca } : {}), ...(basicAuth ? { basicAuth } : {}) };
}

function s3Connection(r: Read, problems: string[]): S3ConnectionSettings {
  // Unset, the endpoint is the local stack's, and so is the key pair; empty is AWS's own.
  const local = r.S3_ENDPOINT === undefined;
  let accessKeyId = r.S3_ACCESS_KEY_ID || undefined;
  let secretAccessKey = r.S3_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    problems.push(
      "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both for static keys, or neither for the AWS SDK's default chain (IRSA, container or instance role)",
    );
  else if (accessKeyId === undefined && local) ({ accessKeyId, secretAccessKey } = LOCAL_S3_KEYS);
  return {
    endpoint: local ? LOCAL_S3_ENDPOINT : r.S3_ENDPOINT || undefined,
    region: r.S3_REGION ?? 'us-east-1',
    bucket: r.S3_BUCKET ?? 'tablelane',
    prefix: r.S3_PREFIX ?? 'staging',
    ...(accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : {}),
    forcePathStyle: r.S3_FORCE_PATH_STYLE === 'true',
  };
}

const PEM_MARKERS = {
  certificate: { pattern: /-----BEGIN CERTIFICATE-----/, line: '-----BEGIN CERTIFICATE-----' },
  'private key': { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, line: '-----BEGIN … PRIVATE KEY-----' },
};

/** The contents of a PEM file a variable names, or a problem naming the variable and the path. */
function pemFile(
  name: string,
  path: string | undefined,
  kind: keyof typeof PEM_MARKERS,
  problems: string[],
): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${name} ${path}: cannot read it: ${unreadable(error)}`);
    return undefined;
  }
  if (!PEM_MARKERS[kind].pattern.test(text)) {
    problems.push(`${name} ${path}: not a PEM ${kind} (no ${PEM_MARKERS[kind].line} line)`);
    return undefined;
  }
  if (kind === 'private key') rememberSecret(text);
  return text;
}

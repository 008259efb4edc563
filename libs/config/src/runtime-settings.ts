import { readEnvironment, type Environment } from './environment.schema';

/**
 * Connection settings from the environment. Secrets stay in this object and are never logged:
 * `describeRuntime` is the only way to print it.
 */
export interface RuntimeSettings {
  kafkaBrokers: string[];
  kafkaClientId: string;
  schemaRegistryUrl: string;
  s3: {
    endpoint?: string;
    region: string;
    bucket: string;
    prefix: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    forcePathStyle: boolean;
  };
  /** pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE itself; DATABASE_URL wins when set. */
  databaseUrl?: string;
}

export function runtimeSettings(env: Environment = process.env): RuntimeSettings {
  const settings = readEnvironment(env);
  return {
    kafkaBrokers: settings.KAFKA_BROKERS.split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    kafkaClientId: settings.KAFKA_CLIENT_ID,
    schemaRegistryUrl: settings.SCHEMA_REGISTRY_URL,
    s3: {
      endpoint: settings.S3_ENDPOINT,
      region: settings.S3_REGION,
      bucket: settings.S3_BUCKET,
      prefix: settings.S3_PREFIX,
      accessKeyId: settings.S3_ACCESS_KEY_ID,
      secretAccessKey: settings.S3_SECRET_ACCESS_KEY,
      forcePathStyle: settings.S3_FORCE_PATH_STYLE === 'true',
    },
    databaseUrl: settings.DATABASE_URL,
  };
}

/** A loggable view of the settings, with secrets masked. */
export function describeRuntime(settings: RuntimeSettings): Record<string, unknown> {
  return {
    kafkaBrokers: settings.kafkaBrokers,
    schemaRegistryUrl: settings.schemaRegistryUrl,
    s3: { ...settings.s3, secretAccessKey: settings.s3.secretAccessKey ? '***' : undefined },
    databaseUrl: settings.databaseUrl?.replace(/:[^:@/]*@/, ':***@'),
  };
}

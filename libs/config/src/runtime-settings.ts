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

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    kafkaClientId: env.KAFKA_CLIENT_ID ?? 'tablelane',
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    s3: {
      endpoint: env.S3_ENDPOINT ?? 'http://127.0.0.1:9000',
      region: env.S3_REGION ?? 'us-east-1',
      bucket: env.S3_BUCKET ?? 'tablelane',
      prefix: env.S3_PREFIX ?? 'staging',
      accessKeyId: env.S3_ACCESS_KEY_ID ?? 'tablelane',
      secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? 'tablelane-secret',
      forcePathStyle: (env.S3_FORCE_PATH_STYLE ?? 'true') === 'true',
    },
    databaseUrl: env.DATABASE_URL,
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

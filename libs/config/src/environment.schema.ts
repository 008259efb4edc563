import { z } from 'zod';
import { documented } from './setting-meta';
import type { TopicSettings } from './tablelane-config';

/** The environment as the apps receive it; only the variables named below are read. */
export type Environment = Readonly<Record<string, string | undefined>>;

const text = (fallback: string, valueType: string, description: string) =>
  documented(z.string().default(fallback), { valueType, description });
const unset = (valueType: string, description: string) =>
  documented(z.string().optional(), { valueType, description, defaultText: 'unset' });

/**
 * Connection settings every app reads (runtime-settings.ts) and the topic defaults the table
 * file falls back to. The defaults point at the local stack (docker compose), so a developer
 * sets nothing; a deployment sets every one of them.
 */
export const environmentSchema = z.object({
  TABLELANE_CONFIG: text('tablelane.yaml', 'path', 'the table file'),
  TABLELANE_TOPIC_INGEST: text(
    'tablelane.ingest',
    'Kafka topic name',
    'topic writers produce to (`topics.ingest` wins)',
  ),
  TABLELANE_TOPIC_CHANGES: text(
    'tablelane.changes',
    'Kafka topic name',
    'topic the router writes validated changes to, one partition per lane (`topics.changes` wins)',
  ),
  TABLELANE_TOPIC_DLQ: text('tablelane.dlq', 'Kafka topic name', 'dead-letter topic (`topics.dlq` wins)'),
  KAFKA_BROKERS: text('127.0.0.1:9092', 'comma-separated host:port', 'Kafka bootstrap brokers'),
  KAFKA_CLIENT_ID: text('tablelane', 'string', 'prefix of every Kafka client id (the app name is appended)'),
  SCHEMA_REGISTRY_URL: text(
    'http://127.0.0.1:8081/apis/ccompat/v7',
    'URL',
    'Confluent-compatible schema registry (Apicurio ccompat here)',
  ),
  S3_ENDPOINT: text('http://127.0.0.1:9000', 'URL', 'S3 endpoint for staged batches'),
  S3_REGION: text('us-east-1', 'string', 'S3 region (and the region Aurora imports from)'),
  S3_BUCKET: text('tablelane', 'string', 'bucket staged batches are written to'),
  S3_PREFIX: text('staging', 'string', 'key prefix of staged batches'),
  S3_ACCESS_KEY_ID: text('tablelane', 'string', 'S3 access key'),
  S3_SECRET_ACCESS_KEY: text('tablelane-secret', 'secret', 'S3 secret key (never logged)'),
  S3_FORCE_PATH_STYLE: text('true', '`true` \\| `false`', 'path-style bucket addressing (S3Proxy, MinIO)'),
  DATABASE_URL: unset(
    'PostgreSQL URL',
    'PostgreSQL connection; when unset pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE',
  ),
});

export type EnvironmentSettings = z.output<typeof environmentSchema>;

/** Every variable is a string with a default, so reading never fails. */
export function readEnvironment(env: Environment): EnvironmentSettings {
  return environmentSchema.parse(env);
}

export function topicDefaults(env: Environment): TopicSettings {
  const settings = readEnvironment(env);
  return {
    ingest: settings.TABLELANE_TOPIC_INGEST,
    changes: settings.TABLELANE_TOPIC_CHANGES,
    dlq: settings.TABLELANE_TOPIC_DLQ,
  };
}

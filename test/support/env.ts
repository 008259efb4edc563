import { randomBytes } from 'node:crypto';

/** Connection settings of the local stack (`npm run stack:up` or `docker compose up`). */
export const stackEnv = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
  S3_ENDPOINT: process.env.S3_ENDPOINT ?? 'http://127.0.0.1:9000',
  S3_BUCKET: process.env.S3_BUCKET ?? 'tablelane',
  S3_ACCESS_KEY_ID: process.env.S3_ACCESS_KEY_ID ?? 'tablelane',
  S3_SECRET_ACCESS_KEY: process.env.S3_SECRET_ACCESS_KEY ?? 'tablelane-secret',
  PGHOST: process.env.PGHOST ?? '127.0.0.1',
  PGPORT: process.env.PGPORT ?? '5432',
  PGUSER: process.env.PGUSER ?? 'postgres',
  PGDATABASE: process.env.PGDATABASE ?? 'test',
};

/** A name no other test (or earlier run) uses: lower case, safe as topic and identifier. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

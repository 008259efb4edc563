import { CHANGE_EVENT_AVRO_SCHEMA } from '@app/contracts';
import {
  HttpSchemaRegistry,
  type RegistryConnection,
  type SchemaRegistryPort,
} from './schema-registry-client';

/** The ingest Avro schema as Confluent clients and the registry take it (JSON text). */
export function ingestSchemaJson(indent?: number): string {
  return JSON.stringify(CHANGE_EVENT_AVRO_SCHEMA, null, indent);
}

/**
 * Registers the ingest Avro schema under the subject (idempotent in the registry: the same
 * schema gets the same id), so a Python, Java or Go producer finds it before any Node process
 * has sent. Throws RegistryUnavailable (retriable) or RegistryRefused (e.g. 409: the subject
 * holds an incompatible schema; not retriable).
 */
export function ensureIngestSchema(
  registry: string | RegistryConnection,
  subject: string,
  client: SchemaRegistryPort = new HttpSchemaRegistry(registry),
): Promise<number> {
  return client.register(subject, CHANGE_EVENT_AVRO_SCHEMA);
}

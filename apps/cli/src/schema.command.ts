import { ingestValueSubject } from '@app/contracts';
import { ensureIngestSchema, ingestSchemaJson, type RegistryConnection } from '@app/kafka';

/**
 * Prints the ingest Avro schema (what a Confluent client's AvroSerializer needs) and, with
 * `register`, registers it under `<ingest topic>-value` and prints the id on stderr.
 */
export async function runSchema(
  ingestTopic: string,
  registry: RegistryConnection,
  register: boolean,
): Promise<void> {
  console.log(ingestSchemaJson(2));
  if (!register) return;
  const subject = ingestValueSubject(ingestTopic);
  const id = await ensureIngestSchema(registry, subject);
  console.error(`registered under ${subject} in ${registry.url}: schema id ${id}`);
}

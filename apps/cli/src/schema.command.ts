import { ingestValueSubject } from '@app/contracts';
import { ensureIngestSchema, ingestSchemaJson } from '@app/kafka';

/**
 * Prints the ingest Avro schema (what a Confluent client's AvroSerializer needs) and, with
 * `register`, registers it under `<ingest topic>-value` and prints the id on stderr.
 */
export async function runSchema(ingestTopic: string, registryUrl: string, register: boolean): Promise<void> {
  console.log(ingestSchemaJson(2));
  if (!register) return;
  const subject = ingestValueSubject(ingestTopic);
  const id = await ensureIngestSchema(registryUrl, subject);
  console.error(`registered under ${subject} in ${registryUrl}: schema id ${id}`);
}

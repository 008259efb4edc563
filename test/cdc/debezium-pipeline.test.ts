// The CLI pipeline harness comes first: it installs the read_committed fix before kafkajs loads.
import { cliPipeline } from '../cli/support/pipeline';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { cdcSourceUrl, startDebeziumConnector, type ConnectFormat } from '../support/debezium-connect';
import { testKafka } from '../support/kafka';
import {
  expectTargetEqualsSource,
  INSERT,
  prng,
  rowValues,
  runWorkload,
  SOURCE_DDL,
  writeCdcConfig,
} from './support/source-workload';

/*
 * A real Debezium PostgreSQL source connector (Kafka Connect standalone) streams a second
 * PostgreSQL cluster's tables while a seeded random workload runs on them; the router reads
 * the Debezium topics and the sink loads the target. At the end the target equals the source
 * row for row, with no duplicates: inserts, updates, deletes, primary-key updates, a delete
 * then re-insert of one key, a TRUNCATE, rows read by the initial snapshot (`r`), and a large
 * text column left unchanged while others update (TOAST placeholders in the stream). Once for
 * each converter: JsonConverter with and without schemas, and Apicurio's AvroConverter writing
 * Confluent-framed Avro with its writer schemas in the stack's registry (the router fetches them
 * by id through the ccompat API).
 */

async function deleteTopic(topic: string): Promise<void> {
  const admin = testKafka('cdc-pipeline').admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

/** Each converter, its label, the pipeline's name prefix and the workload's seed. */
const FORMATS: { format: ConnectFormat; label: string; prefix: string; seed: number }[] = [
  { format: 'json', label: 'JSON with schemas', prefix: 'cdcs', seed: 15 },
  { format: 'json-schemaless', label: 'JSON without schemas', prefix: 'cdcn', seed: 16 },
  { format: 'avro', label: 'Avro (Apicurio AvroConverter, Confluent framing)', prefix: 'cdca', seed: 17 },
];

describe('Debezium PostgreSQL source → tablelane', () => {
  for (const { format, label, prefix, seed } of FORMATS) {
    it(`loads a random workload so the target equals the source, with ${label}`, async () => {
      const pipeline = cliPipeline(prefix);
      const source = new Client({ connectionString: cdcSourceUrl() });
      await source.connect();
      await source.query("SET TIME ZONE 'UTC'");
      const sourceSchema = pipeline.schema;
      const sourceTable = `${sourceSchema}.items`;
      await source.query(`CREATE SCHEMA ${sourceSchema}`);
      await source.query(SOURCE_DDL(sourceTable));
      try {
        const random = prng(seed * 7);
        // Rows present before the connector starts: the initial snapshot reads them (`r`).
        for (let id = 1; id <= 40; id++) await source.query(INSERT(sourceTable), rowValues(id, random));

        // Avro names: each dot-separated part must start with a letter or `_`, and the
        // pipeline's base may have a part like `7b9846` (which Apicurio's ccompat API then cannot
        // serve: HTTP 400), so Avro takes a prefix made of the schema's name; its topic is
        // deleted below (the pipeline deletes the topics named by its base).
        const topicPrefix = format === 'avro' ? `${pipeline.schema}_dbz` : pipeline.base;
        const connector = await startDebeziumConnector({
          name: pipeline.base,
          topicPrefix,
          tables: [sourceTable],
          slotName: pipeline.schema,
          publicationName: pipeline.schema,
          format,
        });
        try {
          const topic = `${topicPrefix}.${sourceSchema}.items`;
          const config = writeCdcConfig(pipeline, sourceSchema, topic);
          await pipeline.createTopics(config, { ingest: 2, changes: 2 });
          await connector.waitForTopic(topic);
          const router = pipeline.startRouter(config);
          const sink = pipeline.startSink(config);
          await router.waitFor(/router running/, 60_000);

          await runWorkload(source, sourceTable, seed, 120);

          const expected = await expectTargetEqualsSource(source, sourceTable, pipeline, [router, sink]);
          expect(expected.length).toBeGreaterThan(10);
        } finally {
          await connector.stop();
          if (topicPrefix !== pipeline.base) await deleteTopic(`${topicPrefix}.${sourceSchema}.items`);
        }
      } finally {
        await source.query(`DROP SCHEMA IF EXISTS ${sourceSchema} CASCADE`).catch(() => undefined);
        await source.end();
      }
    }, 240_000);
  }
});

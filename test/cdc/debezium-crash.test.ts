// The CLI pipeline harness comes first: it installs the read_committed fix before kafkajs loads.
import { cliPipeline } from '../cli/support/pipeline';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import { cdcSourceUrl, startDebeziumConnector, type DebeziumConnector } from '../support/debezium-connect';
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
 * The CDC path survives every process dying at a bad moment while the source changes: the
 * Kafka Connect worker (SIGKILL: its successor replays what it sent since its last offset
 * flush, so the router sees changes twice), the router (its open transaction aborts) and the
 * sink (its open warehouse transaction rolls back). The target still ends equal to the source,
 * with no duplicates: replays are ordered by their source position (the version guard).
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Debezium PostgreSQL source → tablelane, with crashes', () => {
  it('ends equal to the source after the Connect worker, the router and the sink are killed mid-stream', async () => {
    const pipeline = cliPipeline('cdck');
    const source = new Client({ connectionString: cdcSourceUrl() });
    await source.connect();
    await source.query("SET TIME ZONE 'UTC'");
    const sourceSchema = pipeline.schema;
    const sourceTable = `${sourceSchema}.items`;
    await source.query(`CREATE SCHEMA ${sourceSchema}`);
    await source.query(SOURCE_DDL(sourceTable));
    const seed = 23;
    const random = prng(seed * 7);
    for (let id = 1; id <= 40; id++) await source.query(INSERT(sourceTable), rowValues(id, random));
    const connectorOptions = {
      name: pipeline.base,
      topicPrefix: pipeline.base,
      tables: [sourceTable],
      slotName: pipeline.schema,
      publicationName: pipeline.schema,
      format: 'json-schemaless' as const,
    };
    let connector: DebeziumConnector = await startDebeziumConnector(connectorOptions);
    try {
      const topic = `${pipeline.base}.${sourceSchema}.items`;
      const config = writeCdcConfig(pipeline, sourceSchema, topic);
      await pipeline.createTopics(config, { ingest: 2, changes: 2 });
      await connector.waitForTopic(topic);
      let router = pipeline.startRouter(config);
      let sink = pipeline.startSink(config);
      await router.waitFor(/router running/, 60_000);

      let workloadDone = false;
      // About 240 steps of 25 ms: the three kills below land inside it (checked after it ends).
      const workload = runWorkload(source, sourceTable, seed, 150, 25).finally(() => (workloadDone = true));
      // Each process dies once while the workload runs, and comes back.
      await sleep(1000);
      router.child.kill('SIGKILL');
      await router.exited;
      router = pipeline.startRouter(config);
      await sleep(1000);
      sink.child.kill('SIGKILL');
      await sink.exited;
      sink = pipeline.startSink(config);
      await sleep(1000);
      await connector.stop({ keepSlot: true, kill: true });
      expect(workloadDone, 'the workload ended before the last kill').toBe(false);
      connector = await startDebeziumConnector({ ...connectorOptions, offsetsFile: connector.offsetsFile });
      await workload;

      await expectTargetEqualsSource(source, sourceTable, pipeline, [router, sink]);
    } finally {
      await connector.stop();
      await source.query(`DROP SCHEMA IF EXISTS ${sourceSchema} CASCADE`).catch(() => undefined);
      await source.end();
    }
  }, 240_000);
});

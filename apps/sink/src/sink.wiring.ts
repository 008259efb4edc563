import { loadConfigFile, runtimeSettings, type TablelaneConfig } from '@app/config';
import { createKafka } from '@app/kafka';
import type { Logger } from '@app/observability';
import { createS3Client, S3ObjectStore } from '@app/staging';
import { PostgresDestination, type Destination } from '@app/warehouse';
import { hostname } from 'node:os';
import { SinkRunner } from './consumer/sink-runner';
import { BatchStager } from './flush/batch-stager';
import { hitFaultPoint } from './flush/fault-points';
import { SinkMetrics } from './metrics/sink-metrics';

/** Builds the sink from configuration: the one place that knows which warehouse is used. */
export interface BuiltSink {
  runner: SinkRunner;
  metrics: SinkMetrics;
  config: TablelaneConfig;
  destination: Destination;
}

export function buildSink(logger: Logger, env: NodeJS.ProcessEnv = process.env): BuiltSink {
  const config = loadConfigFile();
  const runtime = runtimeSettings(env);
  const metrics = new SinkMetrics();
  const concurrency = Number(env.TABLELANE_SINK_CONCURRENCY ?? 8);
  const destination = new PostgresDestination({
    pool: { connectionString: runtime.databaseUrl, max: concurrency + 2, application_name: 'tablelane-sink' },
    stateSchema: config.warehouse.stateSchema,
    createTables: config.warehouse.createTables,
    lockTimeoutMs: config.warehouse.lockTimeoutMs,
    ddlLockTimeoutMs: config.warehouse.ddlLockTimeoutMs,
    isolation: env.TABLELANE_PG_ISOLATION === 'serializable' ? 'serializable' : 'read committed',
    emulateTableLevelConflicts: env.TABLELANE_TEST_TABLE_LEVEL_CONFLICTS === 'true',
    afterCopy: () => hitFaultPoint('after-copy'),
  });
  const store =
    config.warehouse.staging === 's3'
      ? new S3ObjectStore(createS3Client(runtime.s3), runtime.s3.bucket)
      : undefined;
  const runner = new SinkRunner({
    config,
    kafka: createKafka(runtime.kafkaBrokers, `${runtime.kafkaClientId}-sink`, logger),
    destination,
    stager: new BatchStager(store, runtime.s3.prefix),
    metrics,
    logger,
    groupId: env.TABLELANE_SINK_GROUP ?? 'tablelane-sink',
    ownerId: `${hostname()}:${process.pid}`,
    concurrency,
    sessionTimeoutMs: Number(env.TABLELANE_SINK_SESSION_TIMEOUT_MS ?? 30_000),
  });
  return { runner, metrics, config, destination };
}

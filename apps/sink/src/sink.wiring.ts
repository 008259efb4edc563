import {
  configPath,
  ContractSource,
  runtimeSettings,
  sinkSettings,
  type Environment,
  type SinkSettings,
  type TablelaneConfig,
} from '@app/config';
import { createKafka } from '@app/kafka';
import type { Logger } from '@app/observability';
import { createS3Client, S3ObjectStore, type ObjectStore } from '@app/staging';
import { buildWarehouse, type Destination } from '@app/warehouse';
import { hostname } from 'node:os';
import { SinkRunner } from './consumer/sink-runner';
import { BatchStager } from './flush/batch-stager';
import { hitFaultPoint } from './flush/fault-points';
import { SinkMetrics } from './metrics/sink-metrics';

export interface BuiltSink {
  runner: SinkRunner;
  metrics: SinkMetrics;
  config: TablelaneConfig;
  destination: Destination;
  /** Where batches are staged; absent with `staging: direct`. */
  store?: ObjectStore;
  /** The sink's settings from the environment (sinkSettings), for health and shutdown. */
  settings: SinkSettings;
}

/**
 * Builds the sink from configuration; the warehouse comes from the registry (`warehouse.kind`).
 * Every setting is read through libs/config; `env` is handed on whole to the warehouse, whose
 * own settings libs/config reads too.
 */
export function buildSink(logger: Logger, env: Environment = process.env): BuiltSink {
  const settings = sinkSettings(env);
  const contracts = new ContractSource(configPath(env));
  const config = contracts.current();
  const runtime = runtimeSettings(env);
  const metrics = new SinkMetrics();
  const {
    destination,
    stagingFormat,
    settings: warehouse,
  } = buildWarehouse(config, runtime, env, {
    applicationName: settings.applicationName,
    // One connection per concurrent flush, plus claims and readiness probes.
    maxConnections: settings.concurrency + 2,
    afterCopy: () => hitFaultPoint('after-copy'),
  });
  if (warehouse) logger.info({ [config.warehouse.kind]: warehouse }, `loading into ${config.warehouse.kind}`);
  const store =
    config.warehouse.staging === 's3'
      ? new S3ObjectStore(createS3Client(runtime.s3), runtime.s3.bucket)
      : undefined;
  const runner = new SinkRunner({
    config,
    contracts,
    contractHoldMs: settings.contractHoldMs,
    contractReloadMs: settings.contractReloadMs,
    lagProbeMs: settings.lagProbeMs,
    kafka: createKafka(runtime.kafka, 'sink', logger),
    destination,
    stager: new BatchStager(store, runtime.s3.prefix, stagingFormat),
    metrics,
    logger,
    groupId: settings.groupId,
    ownerId: `${hostname()}:${process.pid}`,
    concurrency: settings.concurrency,
    // A killed sink's lanes wait this long for a new owner; see docs/operations.md for the trade-off.
    sessionTimeoutMs: settings.sessionTimeoutMs,
  });
  return { runner, metrics, config, destination, store, settings };
}

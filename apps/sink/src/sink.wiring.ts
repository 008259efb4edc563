import { ContractSource, runtimeSettings, type TablelaneConfig } from '@app/config';
import { createKafka } from '@app/kafka';
import type { Logger } from '@app/observability';
import { createS3Client, S3ObjectStore, type ObjectStore } from '@app/staging';
import { buildWarehouse, type Destination } from '@app/warehouse';
import { hostname } from 'node:os';
import { SinkRunner } from './consumer/sink-runner';
import { BatchStager } from './flush/batch-stager';
import { hitFaultPoint } from './flush/fault-points';
import { SinkMetrics } from './metrics/sink-metrics';

/**
 * A dead sink's lanes wait this long for a new owner, and a crash loop costs it once per crash:
 * the chaos suite's 20 kills left lanes 46-64 s without progress at 10 s, under 30 s at 6 s.
 * 6 s is the smallest session a broker accepts by default (group.min.session.timeout.ms); the
 * price is that an event loop blocked for 6 s (heartbeats every 600 ms) costs a rebalance, and
 * the sink's intake never blocks on a flush.
 */
const DEFAULT_SESSION_TIMEOUT_MS = 6_000;

/**
 * A change naming a column the sink's contract lacks waits this long for the ConfigMap update
 * to reach the mounted file (the kubelet syncs it within about a minute) before it is
 * dead-lettered, from where `tablelane dlq replay` can bring it back.
 */
const DEFAULT_CONTRACT_HOLD_MS = 120_000;

export interface BuiltSink {
  runner: SinkRunner;
  metrics: SinkMetrics;
  config: TablelaneConfig;
  destination: Destination;
  /** Where batches are staged; absent with `staging: direct`. */
  store?: ObjectStore;
}

/** Builds the sink from configuration; the warehouse comes from the registry (`warehouse.kind`). */
export function buildSink(logger: Logger, env: NodeJS.ProcessEnv = process.env): BuiltSink {
  const contracts = new ContractSource();
  const config = contracts.current();
  const runtime = runtimeSettings(env);
  const metrics = new SinkMetrics();
  const concurrency = Number(env.TABLELANE_SINK_CONCURRENCY ?? 8);
  const { destination, stagingFormat, settings } = buildWarehouse(config, runtime, env, {
    applicationName: env.PGAPPNAME ?? 'tablelane-sink',
    // One connection per concurrent flush, plus claims and readiness probes.
    maxConnections: concurrency + 2,
    afterCopy: () => hitFaultPoint('after-copy'),
  });
  if (settings) logger.info({ [config.warehouse.kind]: settings }, `loading into ${config.warehouse.kind}`);
  const store =
    config.warehouse.staging === 's3'
      ? new S3ObjectStore(createS3Client(runtime.s3), runtime.s3.bucket)
      : undefined;
  const runner = new SinkRunner({
    config,
    contracts,
    contractHoldMs: Number(env.TABLELANE_CONTRACT_HOLD_MS ?? DEFAULT_CONTRACT_HOLD_MS),
    kafka: createKafka(runtime.kafkaBrokers, `${runtime.kafkaClientId}-sink`, logger),
    destination,
    stager: new BatchStager(store, runtime.s3.prefix, stagingFormat),
    metrics,
    logger,
    groupId: env.TABLELANE_SINK_GROUP ?? 'tablelane-sink',
    ownerId: `${hostname()}:${process.pid}`,
    concurrency,
    // A killed sink's lanes wait this long for a new owner; see docs/operations.md for the trade-off.
    sessionTimeoutMs: Number(env.TABLELANE_SINK_SESSION_TIMEOUT_MS ?? DEFAULT_SESSION_TIMEOUT_MS),
  });
  return { runner, metrics, config, destination, store };
}

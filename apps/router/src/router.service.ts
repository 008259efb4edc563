import { ContractSource, reloadOnDemand, runtimeSettings } from '@app/config';
import { ingestValueSubject, loadTransforms } from '@app/contracts';
import {
  AvroChangeCodec,
  createKafka,
  ensureIngestSchema,
  FramedAvroDecoder,
  messageBudget,
  readMaxMessageBytes,
  TransactionalPipeline,
  type KafkaAdmin,
  type PipelineOutput,
  type PipelineRecord,
} from '@app/kafka';
import type { Logger } from '@app/observability';
import { createS3Client, S3ObjectStore } from '@app/staging';
import { valueRulesFor } from '@app/warehouse';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { planLanes, type LaneBaseline } from './lanes/lane-baseline';
import { LaneBaselineStore, partitionCount } from './lanes/lane-baseline.store';
import { RouterMetrics } from './metrics/router-metrics';
import type { RouterSettings } from './router-settings';
import { summarizeDeadLetters } from './routing/dead-letter-summary';
import { FitToTopics } from './routing/fit-to-topics';
import { ContractHold } from './routing/contract-hold';
import { deadLetterOfFailure, routeBatch } from './routing/route-batch';
import { cdcRouting } from './routing/route-cdc';
import { deadLetter, type RouteContext } from './routing/route-record';
import { cdcInputTopics } from './routing/cdc-topics';

// Records naming unknown columns ask for a reload; a burst of them reads the file once.
const CONTRACT_RELOAD_MIN_GAP_MS = 1000;

/**
 * Wires the router: checks the topics and the lanes, then runs the transactional pipeline
 * that turns ingest records into changes on their table's lane, or dead letters.
 */
export class RouterService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private pipeline?: TransactionalPipeline;
  private laneCheck?: NodeJS.Timeout;
  private reloadTimer?: NodeJS.Timeout;
  private admin?: KafkaAdmin;
  readonly metrics = new RouterMetrics();

  constructor(
    private readonly settings: RouterSettings,
    private readonly logger: Logger,
    private readonly onFatal: (error: Error) => void,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  async start(): Promise<void> {
    const contracts = new ContractSource();
    const config = contracts.current();
    const runtime = runtimeSettings();
    // The coordinator's CONCURRENT_TRANSACTIONS answers are a normal step that kafkajs retries:
    // logged at debug by the client, counted here.
    const kafka = createKafka(runtime.kafka, 'router', this.logger, {
      onCoordinatorRetry: () => this.metrics.concurrentTransactions.inc(),
    });
    const admin = kafka.admin();
    this.admin = admin;
    await admin.connect();

    const { topics } = config;
    const names = [topics.ingest, topics.changes, topics.dlq];
    const counts = await Promise.all(names.map((t) => partitionCount(admin, t)));
    const missing = names.filter((_, i) => counts[i] === undefined);
    if (missing.length > 0) {
      // Never let topic auto-creation pick the partition count of the lanes: refuse instead.
      throw new Error(
        `topics ${missing.join(', ')} do not exist; create them first with \`tablelane topics create\` (see docs/deploy.md)`,
      );
    }
    const [, changesPartitions, dlqPartitions] = counts as number[];

    const store = new LaneBaselineStore(kafka, admin, this.settings.lanesTopic ?? `${topics.changes}.lanes`);
    const recorded = await store.read(topics.changes);
    const plan = planLanes(config.tables, topics.changes, changesPartitions!, recorded);
    if (plan.added.length > 0) await store.write(plan.baseline);
    this.logger.info(
      {
        changesTopic: topics.changes,
        partitions: plan.baseline.partitions,
        lanes: Object.fromEntries(plan.lanes),
        newTables: plan.added,
        baselineTopic: store.topic,
      },
      recorded ? 'lanes match the recorded baseline' : 'lane baseline recorded',
    );
    this.watchPartitionCount(admin, plan.baseline);

    // Registered here, not only by the Node SDK, so any Confluent client finds the subject.
    await ensureIngestSchema(runtime.schemaRegistry, ingestValueSubject(topics.ingest));
    const codec = AvroChangeCodec.connect(runtime.schemaRegistry, ingestValueSubject(topics.ingest));
    const cdcAvro = FramedAvroDecoder.connect(runtime.schemaRegistry);
    const cdcTopics = await cdcInputTopics(admin, config.cdc);
    let ctx: RouteContext = {
      config,
      transforms: loadTransforms(config),
      rules: valueRulesFor(config.warehouse.kind),
      topics,
      lanes: plan.lanes,
      dlqPartitions: dlqPartitions!,
      cdc: cdcRouting(config, cdcAvro),
    };
    // Read once: a topic's limit changing while running is rare, and a refusal after it
    // still ends as a dead letter of the one record at fault rather than a stall.
    const maxMessageBytes = await readMaxMessageBytes(admin, [topics.changes, topics.dlq]);
    this.logger.info({ maxMessageBytes: Object.fromEntries(maxMessageBytes) }, 'topic message limits');
    const fitter = new FitToTopics({
      budgetOf: (topic) => messageBudget(maxMessageBytes.get(topic)!),
      dlqTopic: topics.dlq,
      store: new S3ObjectStore(createS3Client(runtime.s3), runtime.s3.bucket),
      prefix: runtime.s3.prefix,
      deadLetter: (record, reason) => deadLetter(ctx, record, reason),
    });
    /**
     * A rewritten contract file (a ConfigMap update) takes effect without a restart: new
     * tables get lanes from the same baseline, and changes already held for them route.
     */
    const reloadContracts = async (): Promise<boolean> => {
      let reload;
      try {
        reload = contracts.reload();
        if (!reload) return false;
        const lanes = planLanes(
          reload.config.tables,
          topics.changes,
          changesPartitions!,
          await store.read(topics.changes),
        );
        if (lanes.added.length > 0) await store.write(lanes.baseline);
        ctx = {
          ...ctx,
          config: reload.config,
          transforms: loadTransforms(reload.config),
          lanes: lanes.lanes,
          // Bindings follow the file; the topics read stay those of the start.
          cdc: cdcRouting(reload.config, cdcAvro),
        };
      } catch (error) {
        this.logger.error(
          { err: error },
          'the contract file no longer validates; the contracts in force stay',
        );
        return false;
      }
      this.logger.info({ tables: reload.changedTables }, 'table contracts reloaded');
      return true;
    };
    const hold = new ContractHold({
      reload: reloadOnDemand(reloadContracts, CONTRACT_RELOAD_MIN_GAP_MS),
      holdMs: this.settings.contractHoldMs,
      onHeld: (count) => this.metrics.heldChanges.set(count),
    });
    this.reloadTimer = setInterval(() => void reloadContracts(), this.settings.contractReloadMs);
    this.reloadTimer.unref();
    this.pipeline = new TransactionalPipeline({
      kafka,
      groupId: this.settings.groupId,
      inputTopics: [topics.ingest, ...cdcTopics],
      transactionalIdPrefix: this.settings.transactionalIdPrefix,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      partitionsConsumedConcurrently: this.settings.partitionsConsumedConcurrently,
      maxMessageBytes,
      logger: this.logger,
      onFatal: this.onFatal,
      onCommitted: (records, outputs, seconds) => {
        this.metrics.committed(records, outputs, seconds);
        this.logDeadLetters(records, outputs);
      },
      onRetry: (_error, code) => this.metrics.retries.inc({ code }),
      transform: (records) => routeBatch(() => ctx, fitter, codec, hold, records),
      deadLetter: (record, failure) => deadLetterOfFailure(ctx, fitter, record, failure),
    });
    await this.pipeline.start();
    this.logger.info(
      {
        ingest: topics.ingest,
        cdc: cdcTopics,
        changes: topics.changes,
        dlq: topics.dlq,
        groupId: this.settings.groupId,
      },
      'router running',
    );
  }

  /** One line per committed batch with dead letters, never one per record. */
  private logDeadLetters(records: PipelineRecord[], outputs: PipelineOutput[]): void {
    const summary = summarizeDeadLetters(outputs);
    if (!summary) return;
    this.logger.warn(
      { partition: records[0]!.partition, from: records[0]!.offset, to: records.at(-1)!.offset, ...summary },
      'changes refused; dead-lettered',
    );
  }

  get isConsuming(): boolean {
    return this.pipeline?.isConsuming ?? false;
  }

  async stop(): Promise<void> {
    clearInterval(this.laneCheck);
    clearInterval(this.reloadTimer);
    await this.pipeline?.stop();
    await this.admin?.disconnect();
  }

  /**
   * Lanes stay computed from the baseline while running, so partitions added meanwhile
   * cannot move a table; this only makes the change loud before the next start refuses it.
   */
  private watchPartitionCount(admin: KafkaAdmin, baseline: LaneBaseline): void {
    this.laneCheck = setInterval(() => {
      partitionCount(admin, baseline.changesTopic)
        .then((live) => {
          if (live !== undefined && live !== baseline.partitions) {
            this.logger.error(
              { changesTopic: baseline.changesTopic, live, baseline: baseline.partitions },
              'the changes topic partition count changed; this router keeps the baseline lanes, the next start refuses until the lanes are drained and re-baselined (docs/operations-lanes.md)',
            );
          }
        })
        .catch(() => undefined);
    }, this.settings.laneCheckIntervalMs);
    this.laneCheck.unref();
  }
}

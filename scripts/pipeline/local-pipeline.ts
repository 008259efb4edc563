import { parseConfig, runtimeSettings, type TablelaneConfig } from '@app/config';
import { ingestValueSubject } from '@app/contracts';
import { createKafka, laneOf, readPartitionLag, type KafkaAdmin } from '@app/kafka';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { AppProcess, waitForHttp } from '../demo/app-process';
import { parsePrometheus, type Sample } from '../demo/prometheus-text';

export interface PipelineOptions {
  /** Names topics and groups: `tablelane.<kind>.<run>.ingest`, `tablelane-<kind>-sink-<run>`. */
  kind: string;
  run: string;
  /** Where the configuration file and the apps' logs go. */
  workdir: string;
  /** Table contracts, as tablelane.yaml lists them. */
  tables: object[];
  stateSchema: string;
  /** Table patterns the gateway's API key may write, e.g. `tablelane_demo.*`. */
  apiKeyTables: string[];
  partitions: number;
  ports: { producer: number; router: number; sinks: number[] };
  /** Extra environment for the sinks only (e.g. LOG_LEVEL=debug for per-batch commit logs). */
  sinkEnv?: Record<string, string>;
  /**
   * The apps to start with the pipeline (default: all of them); the others start later with
   * startApps(), e.g. after a backlog was produced (an empty list: only the topics).
   */
  startApps?: PipelineApp[];
}

/** The apps of a pipeline, by role: `sinks` are all of them (one per sink port). */
export type PipelineApp = 'router' | 'sinks' | 'producer';

export interface Lag {
  /** Ingest messages the router has not committed yet. */
  ingest: number;
  /** Changes the sinks have not committed yet, over all lanes. */
  total: number;
  byTable: Record<string, number>;
}

/**
 * The router, the sinks and the producer gateway, each its own process built from `dist/`,
 * on topics and consumer groups of their own so that runs never see each other's data.
 */
export class LocalPipeline {
  readonly gatewayUrl: string;
  /** The apps running now: started and not stopped since. */
  private running: { role: PipelineApp; app: AppProcess }[] = [];

  private constructor(
    readonly options: PipelineOptions,
    readonly config: TablelaneConfig,
    readonly topics: { ingest: string; changes: string; dlq: string },
    readonly groups: { router: string; sink: string },
    readonly apiKey: string,
    private readonly spawn: Record<PipelineApp, () => AppProcess[]>,
    private readonly admin: KafkaAdmin,
  ) {
    this.gatewayUrl = `http://127.0.0.1:${options.ports.producer}`;
  }

  /** Every app running now. */
  get apps(): AppProcess[] {
    const order: PipelineApp[] = ['router', 'sinks', 'producer'];
    return order.flatMap((role) => this.running.filter((r) => r.role === role).map((r) => r.app));
  }

  /** The sinks running now. */
  get sinks(): AppProcess[] {
    return this.running.filter((r) => r.role === 'sinks').map((r) => r.app);
  }

  /** Creates the topics, starts the apps (all unless `startApps` says) and waits until each one reports ready. */
  static async start(options: PipelineOptions): Promise<LocalPipeline> {
    const { kind, run, workdir, partitions, ports } = options;
    const topics = {
      ingest: `tablelane.${kind}.${run}.ingest`,
      changes: `tablelane.${kind}.${run}.changes`,
      dlq: `tablelane.${kind}.${run}.dlq`,
    };
    const rawConfig = { topics, warehouse: { stateSchema: options.stateSchema }, tables: options.tables };
    const configPath = resolve(workdir, 'tablelane.yaml');
    writeFileSync(configPath, stringify(rawConfig));
    const config = parseConfig(rawConfig);

    const kafka = createKafka(runtimeSettings().kafka, kind);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.ingest, numPartitions: partitions, replicationFactor: 1 },
        { topic: topics.changes, numPartitions: partitions, replicationFactor: 1 },
        { topic: topics.dlq, numPartitions: 1, replicationFactor: 1 },
      ],
    });

    const apiKey = randomBytes(16).toString('hex');
    const common = { TABLELANE_CONFIG: configPath, LOG_LEVEL: 'info' };
    const groups = { router: `tablelane-${kind}-router-${run}`, sink: `tablelane-${kind}-sink-${run}` };
    const router = () =>
      new AppProcess(
        'router',
        'router',
        {
          ...common,
          PORT: String(ports.router),
          TABLELANE_ROUTER_GROUP: groups.router,
          TABLELANE_ROUTER_TRANSACTIONAL_ID: groups.router,
        },
        resolve(workdir, 'router.log'),
      );
    const sinks = () =>
      ports.sinks.map(
        (port, i) =>
          new AppProcess(
            `sink-${i + 1}`,
            'sink',
            { ...common, ...options.sinkEnv, PORT: String(port), TABLELANE_SINK_GROUP: groups.sink },
            resolve(workdir, `sink-${i + 1}.log`),
          ),
      );
    const producer = () =>
      new AppProcess(
        'producer',
        'producer',
        {
          ...common,
          PORT: String(ports.producer),
          TABLELANE_API_KEYS: JSON.stringify([
            {
              name: kind,
              sha256: createHash('sha256').update(apiKey).digest('hex'),
              tables: options.apiKeyTables,
            },
          ]),
        },
        resolve(workdir, 'producer.log'),
      );
    const pipeline = new LocalPipeline(
      options,
      config,
      topics,
      groups,
      apiKey,
      { router: () => [router()], sinks, producer: () => [producer()] },
      admin,
    );
    try {
      await pipeline.startApps(options.startApps ?? ['router', 'sinks', 'producer']);
    } catch (error) {
      await pipeline.stop();
      throw error;
    }
    return pipeline;
  }

  /** Starts apps that are not running and waits until each one reports ready; returns them. */
  async startApps(roles: PipelineApp[]): Promise<AppProcess[]> {
    const { ports } = this.options;
    const portsOf: Record<PipelineApp, number[]> = {
      router: [ports.router],
      sinks: ports.sinks,
      producer: [ports.producer],
    };
    const fresh = roles.filter((role) => !this.running.some((r) => r.role === role));
    const started = fresh.flatMap((role) => this.spawn[role]().map((app) => ({ role, app })));
    this.running.push(...started);
    await Promise.all(
      fresh
        .flatMap((role) => portsOf[role])
        .map((port) => waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000)),
    );
    return started.map((r) => r.app);
  }

  /** Stops running apps (graceful drain first); the topics, groups and their offsets stay. */
  async stopApps(roles: PipelineApp[]): Promise<void> {
    const stopping = this.running.filter((r) => roles.includes(r.role));
    this.running = this.running.filter((r) => !roles.includes(r.role));
    await Promise.all(stopping.map((r) => r.app.stop()));
  }

  /** Throws when an app has exited: a run cannot go on without it. */
  assertRunning(): void {
    const exited = this.apps.filter((app) => !app.running).map((app) => app.name);
    if (exited.length > 0)
      throw new Error(`an app exited early: ${exited.join(', ')} (see ${this.options.workdir})`);
  }

  /** Messages not yet committed by the router (ingest) and by the sinks (per lane and table). */
  async lag(): Promise<Lag> {
    const behind = async (group: string, topic: string) =>
      new Map((await readPartitionLag(this.admin, group, topic)).map((p) => [p.partition, p.messagesBehind]));
    const ingest = [...(await behind(this.groups.router, this.topics.ingest)).values()].reduce(
      (a, b) => a + b,
      0,
    );
    const lanes = await behind(this.groups.sink, this.topics.changes);
    const byTable = Object.fromEntries(
      this.config.tables.map((t) => [t.name, lanes.get(laneOf(t, this.options.partitions)) ?? 0]),
    );
    return { ingest, total: [...lanes.values()].reduce((a, b) => a + b, 0), byTable };
  }

  /** High watermark per partition of the changes topic. */
  async changesEnd(): Promise<Map<number, number>> {
    const ends = await this.admin.fetchTopicOffsets(this.topics.changes);
    return new Map(ends.map((p) => [p.partition, Number(p.high)]));
  }

  /** Every sink's /metrics, parsed; a sink that does not answer contributes nothing. */
  async sinkMetrics(): Promise<Sample[]> {
    const texts = await Promise.all(
      this.options.ports.sinks.map((port) =>
        fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => '',
        ),
      ),
    );
    return texts.flatMap(parsePrometheus);
  }

  /** Stops every app (graceful drain first), then deletes the run's topics, consumer groups and registry subject. */
  async stop(): Promise<void> {
    await this.stopApps(['router', 'sinks', 'producer']);
    await this.admin.deleteGroups(Object.values(this.groups)).catch(() => undefined);
    await this.admin
      .deleteTopics({ topics: [...Object.values(this.topics), `${this.topics.changes}.lanes`] })
      .catch(() => undefined);
    await this.admin.disconnect();
    await deleteSubject(ingestValueSubject(this.topics.ingest));
  }
}

/** Removes a schema registry subject (soft, then permanent delete); best effort. */
async function deleteSubject(subject: string): Promise<void> {
  const base = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
  const url = `${base}/subjects/${encodeURIComponent(subject)}`;
  for (const suffix of ['', '?permanent=true'])
    await fetch(`${url}${suffix}`, { method: 'DELETE' }).catch(() => undefined);
}

import type { Logger } from '@app/observability';
import type { SinkMetrics } from '../metrics/sink-metrics';
import type { LaneVerdict } from './lane-health';
import type { SinkHealth } from './sink-health';

const REFRESH_MS = 1000;

/**
 * Every second, judges the lanes and publishes the verdicts as gauges, so Prometheus sees a
 * stall even when nobody opens the status page; logs each stall once when it starts and ends.
 */
export class StallMonitor {
  private timer?: NodeJS.Timeout;
  private stalled = new Map<number, string>();

  constructor(
    private readonly health: SinkHealth,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    // Never the reason the process stays up.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  refresh(now = Date.now()): void {
    const verdicts = this.health.verdicts(now);
    const { laneStalled, laneNoProgressSeconds } = this.metrics;
    // Lanes move between sinks: drop series of lanes this sink no longer owns. Reset and set
    // run in one tick, so no scrape sees the gauges half written.
    laneStalled.reset();
    laneNoProgressSeconds.reset();
    for (const v of verdicts) {
      const partition = String(v.partition);
      laneStalled.set({ partition }, v.state === 'stalled' ? 1 : 0);
      laneNoProgressSeconds.set({ partition }, Math.floor(v.noProgressMs / 1000));
    }
    this.logTransitions(verdicts);
  }

  private logTransitions(verdicts: LaneVerdict[]): void {
    const now = new Map(verdicts.flatMap((v) => (v.stalledReason ? [[v.partition, v.stalledReason]] : [])));
    for (const [partition, reason] of now)
      if (!this.stalled.has(partition)) this.logger.error({ partition, reason }, `lane stalled: ${reason}`);
    for (const partition of this.stalled.keys())
      if (!now.has(partition))
        this.logger.info(
          { partition },
          `lane ${partition} no longer stalled here (it recovered, or moved to another sink)`,
        );
    this.stalled = now;
  }
}

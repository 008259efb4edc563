import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@app/observability';
import type { SinkHealth } from './health/sink-health';
import type { StallMonitor } from './health/stall-monitor';
import type { BuiltSink } from './sink.wiring';
import { LOGGER, SINK, SINK_HEALTH, STALL_MONITOR } from './sink.tokens';

/**
 * Starts consuming once the app is up, with the stall monitor; on SIGTERM stops fetching,
 * flushes and commits what is buffered, leaves the group and closes the warehouse pool,
 * within the grace period.
 */
@Injectable()
export class SinkLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(SINK) private readonly sink: BuiltSink,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SINK_HEALTH) private readonly health: SinkHealth,
    @Inject(STALL_MONITOR) private readonly monitor: StallMonitor,
  ) {}

  /** Starts in the background: probes and the status page answer while tables are prepared. */
  onApplicationBootstrap(): void {
    this.monitor.start();
    this.sink.runner.start().then(
      () => {
        this.health.markConsuming();
        this.logger.info('sink consuming');
      },
      (error: unknown) => {
        this.logger.fatal({ err: error }, 'sink failed to start');
        process.exit(1);
      },
    );
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    // Stopping the consumer on purpose must not read as a dead consumer to liveness.
    this.health.markStopping();
    this.logger.info({ signal }, 'stopping: flushing buffered lanes');
    const grace = this.sink.settings.shutdownGraceMs;
    const deadline = setTimeout(() => {
      this.logger.error(
        { graceMs: grace },
        'graceful stop took too long; exiting (uncommitted changes are re-read on restart)',
      );
      process.exit(1);
    }, grace);
    await this.sink.runner.stop();
    this.monitor.stop();
    await this.sink.destination.close();
    clearTimeout(deadline);
    this.logger.info('stopped');
  }
}

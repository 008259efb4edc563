import { Module } from '@nestjs/common';
import { createLogger, type Logger } from '@app/observability';
import { HealthController } from './health/health.controller';
import { SinkHealth } from './health/sink-health';
import { StallMonitor } from './health/stall-monitor';
import { SinkLifecycle } from './sink.lifecycle';
import { LOGGER, SINK, SINK_HEALTH, STALL_MONITOR } from './sink.tokens';
import { buildSink, type BuiltSink } from './sink.wiring';

const logger = createLogger('sink');

@Module({
  controllers: [HealthController],
  providers: [
    { provide: LOGGER, useValue: logger },
    { provide: SINK, useFactory: () => buildSink(logger) },
    {
      provide: SINK_HEALTH,
      useFactory: (sink: BuiltSink) => new SinkHealth(() => sink.runner.status(), sink.settings.health),
      inject: [SINK],
    },
    {
      provide: STALL_MONITOR,
      useFactory: (health: SinkHealth, sink: BuiltSink, log: Logger) =>
        new StallMonitor(health, sink.metrics, log),
      inject: [SINK_HEALTH, SINK, LOGGER],
    },
    SinkLifecycle,
  ],
})
export class SinkModule {}

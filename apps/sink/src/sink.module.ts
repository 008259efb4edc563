import { Module } from '@nestjs/common';
import { createLogger } from '@app/observability';
import { HealthController } from './health/health.controller';
import { SinkLifecycle } from './sink.lifecycle';
import { LOGGER, SINK } from './sink.tokens';
import { buildSink } from './sink.wiring';

const logger = createLogger('sink');

@Module({
  controllers: [HealthController],
  providers: [
    { provide: LOGGER, useValue: logger },
    { provide: SINK, useFactory: () => buildSink(logger) },
    SinkLifecycle,
  ],
})
export class SinkModule {}

import { loadConfigFile, runtimeSettings, type TablelaneConfig } from '@app/config';
import { loadTransforms } from '@app/contracts';
import { createKafka } from '@app/kafka';
import { createLogger, type Logger } from '@app/observability';
import { Inject, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { loadApiKeys } from './auth/api-keys';
import { HealthController } from './health/health.controller';
import { JsonErrorFilter } from './http/json-error.filter';
import { answerUnparsableRequests } from './http/unparsable-requests';
import { ChangesController } from './ingest/changes.controller';
import { KafkaIngestPublisher } from './ingest/ingest-publisher';
import { IngestService } from './ingest/ingest.service';
import { countResponses } from './metrics/count-responses';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { producerSettings } from './producer-settings';
import {
  API_KEYS,
  GATEWAY_METRICS,
  INGEST_PUBLISHER,
  PRODUCER_LOGGER,
  PRODUCER_SETTINGS,
} from './producer.tokens';

let contracts: TablelaneConfig | undefined;
/** The contracts file, read once per process (TABLELANE_CONFIG). */
const config = (): TablelaneConfig => (contracts ??= loadConfigFile());

@Module({
  controllers: [ChangesController, HealthController],
  providers: [
    { provide: PRODUCER_LOGGER, useFactory: () => createLogger('producer') },
    { provide: PRODUCER_SETTINGS, useFactory: () => producerSettings() },
    { provide: API_KEYS, useFactory: () => loadApiKeys() },
    { provide: GATEWAY_METRICS, useFactory: () => new GatewayMetrics() },
    {
      provide: APP_FILTER,
      inject: [PRODUCER_LOGGER],
      useFactory: (logger: Logger) => new JsonErrorFilter(logger),
    },
    {
      provide: INGEST_PUBLISHER,
      inject: [PRODUCER_LOGGER],
      useFactory: async (logger: Logger) => {
        const runtime = runtimeSettings();
        const publisher = new KafkaIngestPublisher(
          createKafka(runtime.kafka, 'producer', logger),
          config().topics.ingest,
        );
        await publisher.connect();
        return publisher;
      },
    },
    {
      provide: IngestService,
      inject: [INGEST_PUBLISHER],
      useFactory: (publisher: KafkaIngestPublisher) =>
        new IngestService(config(), loadTransforms(config()), publisher),
    },
  ],
})
export class ProducerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(INGEST_PUBLISHER) private readonly publisher: KafkaIngestPublisher,
    @Inject(PRODUCER_LOGGER) private readonly logger: Logger,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    // Before listen(): every answer is counted, and what never reaches a route still gets JSON.
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    countResponses(server, this.metrics);
    answerUnparsableRequests(server, (status) => this.metrics.countResponse(status, false));
    this.logger.info({ topic: config().topics.ingest }, 'producer gateway ready');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.publisher.disconnect();
  }
}

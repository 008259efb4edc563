import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from '@app/observability';
import { ProducerModule } from './producer.module';
import { producerSettings } from './producer-settings';

/** The HTTP ingest gateway: `node dist/apps/producer/src/main.js`, port from PORT (8080), address from HOST. */
async function main(): Promise<void> {
  const { port, host } = producerSettings();
  // No body parser: the gateway reads bodies itself, to enforce its size limit and take NDJSON.
  const app = await NestFactory.create(ProducerModule, {
    bodyParser: false,
    logger: new PinoNestLogger(createLogger('producer')),
    abortOnError: false,
  });
  await app.listen(port, host);
  // SIGTERM: stop accepting, let requests in flight get their Kafka acknowledgement, exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => process.exit(1), 20_000).unref();
      void app.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tablelane producer gateway: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

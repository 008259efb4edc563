import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { sinkSettings } from '@app/config';
import { createLogger, PinoNestLogger } from '@app/observability';
import { SinkModule } from './sink.module';

async function main(): Promise<void> {
  const { port } = sinkSettings();
  const app = await NestFactory.create(SinkModule, { logger: new PinoNestLogger(createLogger('sink')) });
  // SIGTERM and SIGINT close the app, which runs onApplicationShutdown (a graceful drain of
  // every lane), then exit 0: a clean stop, as Kubernetes expects.
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  await app.listen(port, '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(
    `tablelane sink failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

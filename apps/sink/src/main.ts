import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SinkModule } from './sink.module';

async function main(): Promise<void> {
  const app = await NestFactory.create(SinkModule, { logger: ['error', 'warn'] });
  // SIGTERM and SIGINT run onApplicationShutdown: a graceful drain of every lane.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 8082), '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(
    `tablelane sink failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

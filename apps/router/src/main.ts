import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from '@app/observability';
import { LANES_CHANGED } from './lanes/lane-baseline';
import { parseRebaselineArgs, runRebaseline } from './lanes/rebaseline.command';
import { routerSettings } from './router-settings';
import { RouterModule } from './router.module';

/**
 * `node dist/apps/router/src/main.js` runs the router;
 * `node dist/apps/router/src/main.js rebaseline --drained-group <group>` records new lanes
 * after a drain (docs/operations-lanes.md).
 */
async function main(argv: string[]): Promise<void> {
  const settings = routerSettings();
  if (argv[0] === 'rebaseline') {
    const lines = await runRebaseline(parseRebaselineArgs(argv.slice(1)), settings);
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }
  const app = await NestFactory.create(RouterModule, {
    bodyParser: false,
    logger: new PinoNestLogger(createLogger('router')),
    abortOnError: false,
  });
  // Probes and metrics; routing starts before the port opens (onApplicationBootstrap).
  await app.listen(settings.port, settings.host);
  // SIGTERM: leave the group and disconnect, then exit 0. Every batch is committed or
  // aborted in its own transaction, so there is nothing to flush.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => process.exit(1), 20_000).unref();
      void app.close().then(() => process.exit(0));
    });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tablelane router: ${message}\n`);
  // A distinct exit code: a supervisor should not restart in a loop into the same refusal.
  process.exit((error as { code?: string }).code === LANES_CHANGED ? 3 : 1);
});

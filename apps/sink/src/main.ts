import { createLogger } from '@app/observability';
import { createServer } from 'node:http';
import { buildSink } from './sink.wiring';

/**
 * The sink process: one SinkRunner plus a small HTTP server for probes, metrics and status.
 * SIGTERM stops fetching, flushes and commits what is buffered, and leaves the group.
 */
async function main(): Promise<void> {
  const logger = createLogger('sink');
  const { runner, metrics, destination } = buildSink(logger);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthz') return void res.writeHead(200).end('ok');
    if (url === '/readyz') return void res.writeHead(runner.isConsuming ? 200 : 503).end(runner.isConsuming ? 'ready' : 'starting');
    if (url === '/metrics') {
      void metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text));
      return;
    }
    if (url === '/status') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ lanes: runner.status() }));
    res.writeHead(404).end('not found');
  });
  const port = Number(process.env.PORT ?? 8082);
  server.listen(port, '0.0.0.0');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: flushing buffered lanes');
    const deadline = setTimeout(() => {
      logger.error('graceful stop took too long; exiting (uncommitted changes are re-read on restart)');
      process.exit(1);
    }, Number(process.env.TABLELANE_SHUTDOWN_GRACE_MS ?? 25_000));
    await runner.stop();
    await destination.close();
    server.close();
    clearTimeout(deadline);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await runner.start();
  logger.info({ port }, 'sink running');
}

main().catch((error) => {
  process.stderr.write(`tablelane sink failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

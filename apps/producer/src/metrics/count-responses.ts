import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { GatewayMetrics } from './gateway-metrics';

/**
 * Counts every response the server finishes, whoever wrote it (a controller, Nest's error
 * filter), so a 500 from an unexpected error is counted like any other answer.
 */
export function countResponses(server: Server, metrics: GatewayMetrics): void {
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    res.once('finish', () => metrics.countResponse(res.statusCode, isIngest(req)));
  });
}

/** POST /v1/changes as the router matches it: any case, with or without a trailing slash. */
function isIngest(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0]!.toLowerCase().replace(/\/+$/, '');
  return req.method === 'POST' && path === '/v1/changes';
}

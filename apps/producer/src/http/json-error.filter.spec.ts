import { createLogger } from '@app/observability';
import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { countResponses } from '../metrics/count-responses';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { JsonErrorFilter } from './json-error.filter';

const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
const servers: { close(): void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A server whose every request fails with `exception`, answered by the filter. */
async function failingWith(exception: unknown) {
  const metrics = new GatewayMetrics();
  const filter = new JsonErrorFilter(createLogger('test', quiet));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) };
    filter.catch(exception, host as unknown as ArgumentsHost);
  });
  countResponses(server, metrics);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, metrics };
}

describe('JsonErrorFilter', () => {
  it('answers an unexpected error with a JSON 500 that says a retry may help, and counts it as 5xx', async () => {
    const { url, metrics } = await failingWith(new RangeError('Maximum call stack size exceeded'));
    const res = await fetch(`${url}/v1/changes`, { method: 'POST', body: '[]' });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: 'INTERNAL_ERROR', retriable: true });
    const text = await metrics.registry.metrics();
    expect(text).toContain('tablelane_gateway_responses_total{class="5xx"} 1');
    expect(text).toContain('tablelane_gateway_responses_total{class="2xx"} 0');
    expect(text).toContain('tablelane_gateway_requests_total{status="500"} 1');
  });

  it('answers an unknown path with a JSON 404', async () => {
    const { url } = await failingWith(new NotFoundException());
    const res = await fetch(`${url}/nope`);
    expect([res.status, await res.json()]).toMatchObject([404, { error: 'NOT_FOUND', retriable: false }]);
  });
});

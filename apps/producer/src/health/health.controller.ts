import { All, Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerWrongMethod } from '../http/method-not-allowed';
import { sendJson } from '../http-reply';
import type { IngestPublisher } from '../ingest/ingest-publisher';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { GATEWAY_METRICS, INGEST_PUBLISHER } from '../producer.tokens';
import { OPENAPI_DOCUMENT } from './openapi';

const READ_ONLY_PATHS = ['healthz', 'readyz', 'metrics', 'openapi.json'];

@Controller()
export class HealthController {
  constructor(
    @Inject(INGEST_PUBLISHER) private readonly publisher: IngestPublisher,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  health(@Res() res: ServerResponse): void {
    sendJson(res, 200, { status: 'ok' });
  }

  /** Readiness: the idempotent producer is connected, so a 202 can be earned. */
  @Get('readyz')
  ready(@Res() res: ServerResponse): void {
    const ready = this.publisher.isReady();
    sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'kafka producer not connected' });
  }

  @Get('metrics')
  async metricsText(@Res() res: ServerResponse): Promise<void> {
    const text = await this.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
    res.end(text);
  }

  @Get('openapi.json')
  openapi(@Res() res: ServerResponse): void {
    sendJson(res, 200, OPENAPI_DOCUMENT);
  }

  /** Declared after the GET routes, so it answers only the methods they do not serve (HEAD is GET's). */
  @All(READ_ONLY_PATHS)
  wrongMethod(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    answerWrongMethod(req, res, ['GET', 'HEAD']);
  }
}

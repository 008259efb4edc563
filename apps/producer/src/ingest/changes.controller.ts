import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, presentedKey, type ApiKeyEntry } from '../auth/api-keys';
import { API_KEYS } from '../auth/api-keys.token';
import { header, sendJson } from '../http-reply';
import { GATEWAY_METRICS, type GatewayMetrics } from '../metrics/gateway-metrics';
import type { ProducerSettings } from '../producer-settings';
import { PRODUCER_SETTINGS } from '../producer.tokens';
import { IngestService } from './ingest.service';
import { PayloadTooLarge, readBody } from './read-body';

interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** `POST /v1/changes`: thin HTTP over IngestService (auth, size limit, then the decision). */
@Controller('v1/changes')
export class ChangesController {
  constructor(
    private readonly ingest: IngestService,
    @Inject(API_KEYS) private readonly keys: ApiKeyEntry[],
    @Inject(PRODUCER_SETTINGS) private readonly settings: ProducerSettings,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
  ) {}

  @Post()
  async post(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    const reply = await this.handle(req);
    this.metrics.requests.inc({ status: String(reply.status) });
    if (reply.status === 202) this.metrics.accepted.inc(reply.body.accepted as number);
    sendJson(res, reply.status, reply.body, reply.headers);
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const presented = presentedKey(header(req, 'authorization'), header(req, 'x-api-key'));
    const key = authenticate(this.keys, presented);
    if (!key) {
      req.resume();
      const body = presented
        ? { error: 'INVALID_API_KEY', message: 'the API key is not valid' }
        : {
            error: 'MISSING_API_KEY',
            message: 'send an API key as Authorization: Bearer <key> or X-Api-Key: <key>',
          };
      return { status: 401, body, headers: { 'www-authenticate': 'Bearer realm="tablelane"' } };
    }
    let body: Buffer;
    try {
      const declared = Number(header(req, 'content-length') ?? 0);
      if (declared > this.settings.maxBodyBytes) throw new PayloadTooLarge(this.settings.maxBodyBytes);
      body = await readBody(req, this.settings.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      req.resume();
      return {
        status: 413,
        body: { error: 'PAYLOAD_TOO_LARGE', message: error.message, limit: error.limit },
        headers: { connection: 'close' },
      };
    }
    return this.ingest.ingest(key, body.toString('utf8'), header(req, 'content-type'));
  }
}

import { All, Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, presentedKey, type ApiKeyEntry } from '../auth/api-keys';
import { negotiateBodyFormat } from '../http/body-format';
import { answerWrongMethod } from '../http/method-not-allowed';
import { header, sendError, sendJson } from '../http-reply';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import type { ProducerSettings } from '../producer-settings';
import { API_KEYS, GATEWAY_METRICS, PRODUCER_SETTINGS } from '../producer.tokens';
import { IngestService } from './ingest.service';
import { PayloadTooLarge, readBody, RequestAborted } from './read-body';

/**
 * `POST /v1/changes`: thin HTTP over IngestService. Everything that can be refused without
 * the body (key, Content-Type, declared size) is answered before a byte of it is read.
 */
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
    const presented = presentedKey(header(req, 'authorization'), header(req, 'x-api-key'));
    const key = authenticate(this.keys, presented);
    if (!key) {
      const [error, message] = presented
        ? ['INVALID_API_KEY', 'the API key is not valid']
        : ['MISSING_API_KEY', 'send an API key as Authorization: Bearer <key> or X-Api-Key: <key>'];
      return sendError(res, 401, error, message, {
        headers: { 'www-authenticate': 'Bearer realm="tablelane"' },
      });
    }
    const negotiated = negotiateBodyFormat(header(req, 'content-type'));
    if (!negotiated.ok) return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', negotiated.message);

    const limit = this.settings.maxBodyBytes;
    if (Number(header(req, 'content-length') ?? 0) > limit)
      return this.tooLarge(res, new PayloadTooLarge(limit));
    let body: Buffer;
    try {
      body = await readBody(req, limit);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return this.tooLarge(res, error);
      if (error instanceof RequestAborted) return;
      throw error;
    }
    const reply = await this.ingest.ingest(key, body, negotiated.format);
    if (reply.status === 202) this.metrics.accepted.inc(reply.body.accepted as number);
    sendJson(res, reply.status, reply.body);
  }

  @All()
  wrongMethod(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    answerWrongMethod(req, res, ['POST']);
  }

  private tooLarge(res: ServerResponse, error: PayloadTooLarge): void {
    sendError(res, 413, 'PAYLOAD_TOO_LARGE', error.message, { fields: { limit: error.limit } });
  }
}

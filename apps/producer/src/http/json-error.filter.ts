import type { Logger } from '@app/observability';
import {
  Catch,
  HttpException,
  NotFoundException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { sendError } from '../http-reply';

/**
 * Every error Nest sees becomes a JSON reply in the gateway's shape: unknown paths 404, other
 * HTTP exceptions their own status, and anything unexpected a logged 500 that says a retry
 * may help (the request itself was not found at fault).
 */
@Catch()
export class JsonErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<IncomingMessage>();
    const res = http.getResponse<ServerResponse>();
    if (exception instanceof NotFoundException) {
      sendError(res, 404, 'NOT_FOUND', `no resource at ${req.url ?? ''}; GET /openapi.json lists the API`);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      sendError(res, status, errorCode(status), exception.message);
      return;
    }
    this.logger.error({ err: exception, method: req.method, url: req.url }, 'request failed unexpectedly');
    // A reply already under way cannot be replaced; cutting it off tells the client it failed.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(
      res,
      500,
      'INTERNAL_ERROR',
      'the gateway failed on this request (logged); nothing was accepted',
    );
  }
}

/** `Payload Too Large` → `PAYLOAD_TOO_LARGE`. */
function errorCode(status: number): string {
  return (STATUS_CODES[status] ?? 'Error').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

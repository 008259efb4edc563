import type { IncomingMessage, ServerResponse } from 'node:http';
import { discardRestOfBody } from './http/discard-body';

/**
 * Writes a JSON reply on the raw response (the gateway does not use Nest's body pipeline).
 * Answered before the request body was read, the reply is written at once but the response
 * ends only once the rest of the body is discarded, so the connection stays usable and a
 * client still writing its body reads the answer instead of a reset.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.write(text);
  discardRestOfBody(res.req, () => res.end());
}

/** A 4xx or 5xx with the gateway's error shape: a code, a message, and whether a retry helps. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  extra: { headers?: Record<string, string>; fields?: Record<string, unknown> } = {},
): void {
  sendJson(res, status, { error, message, retriable: retryHelps(status), ...extra.fields }, extra.headers);
}

/** Server trouble and timeouts may pass; a request the gateway refused is refused again. */
export function retryHelps(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

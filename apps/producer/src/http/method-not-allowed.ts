import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../http-reply';
import { discardRestOfBody } from './discard-body';

/**
 * The answer on a known path to a method it does not serve: 405 with `Allow` (404 is only for
 * paths the gateway does not have). OPTIONS is answered with the same `Allow` and 204.
 */
export function answerWrongMethod(
  req: IncomingMessage,
  res: ServerResponse,
  allowed: readonly string[],
): void {
  const allow = [...allowed, 'OPTIONS'].join(', ');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { allow });
    discardRestOfBody(req, () => res.end());
    return;
  }
  sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not served here; use ${allowed.join(' or ')}`, {
    headers: { allow },
  });
}

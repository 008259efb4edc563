import type { IncomingMessage } from 'node:http';

/**
 * How much of a body the gateway reads and throws away after answering early (401, 413, 415,
 * 404...). A client that does not send `Expect: 100-continue` writes its whole body before it
 * reads the answer; closing the connection under it would reset the socket and lose the
 * answer (EPIPE), so the rest is read, up to this bound, and only a body beyond it is cut off.
 */
export const DISCARD_LIMIT = { bytes: 64 * 1024 * 1024, ms: 30_000 } as const;

/**
 * Reads and discards the rest of a request body, then calls `done`; past the limits it
 * destroys the connection instead (a client sending more has had plenty of time to read).
 */
export function discardRestOfBody(
  req: IncomingMessage,
  done: () => void,
  limit: { bytes: number; ms: number } = DISCARD_LIMIT,
): void {
  if (req.complete) return done();
  let discarded = 0;
  const cutOff = () => req.socket.destroy();
  const timer = setTimeout(cutOff, limit.ms).unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit.bytes) cutOff();
  });
  req.once('end', () => {
    clearTimeout(timer);
    done();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

import type { Readable } from 'node:stream';
import { TablelaneError } from '@app/config';

/** The body is over the gateway's limit: sending it again is refused again (split it). */
export class PayloadTooLarge extends TablelaneError {
  readonly code = 'PAYLOAD_TOO_LARGE';
  readonly retriable = false;
  constructor(readonly limit: number) {
    super(
      `the body is larger than ${limit} bytes; split the batch (TABLELANE_MAX_BODY_BYTES sets the limit)`,
    );
    this.name = 'PayloadTooLarge';
  }
}

/** The client went away (or sent broken framing) before the body was complete: nobody to answer. */
export class RequestAborted extends TablelaneError {
  readonly code = 'REQUEST_ABORTED';
  readonly retriable = false;
  constructor() {
    super('the request ended before its body was complete');
    this.name = 'RequestAborted';
  }
}

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops keeping bytes and throws
 * PayloadTooLarge at once, so an oversized body never sits in memory; the caller answers and
 * discards the rest.
 */
export function readBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.off('data', onData);
        stream.pause();
        reject(new PayloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    // After 'end' these do nothing: a settled promise stays settled.
    stream.once('error', () => reject(new RequestAborted()));
    stream.once('close', () => reject(new RequestAborted()));
  });
}

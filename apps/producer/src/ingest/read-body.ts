import type { Readable } from 'node:stream';

export class PayloadTooLarge extends Error {
  constructor(readonly limit: number) {
    super(
      `the body is larger than ${limit} bytes; split the batch (TABLELANE_MAX_BODY_BYTES sets the limit)`,
    );
    this.name = 'PayloadTooLarge';
  }
}

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops keeping bytes and throws
 * PayloadTooLarge at once, so an oversized body never sits in memory.
 */
export function readBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.off('data', onData);
        // Keep draining so the client sees the 413 instead of a reset connection.
        stream.resume();
        reject(new PayloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

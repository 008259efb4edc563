import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { StagedBatch } from './destination.port';
import { copyIntoStagingFromStdin } from './postgres/postgres-catalog';
import type { StagingLoader } from './staging-loader';

/**
 * Streams the staged file through the connection with PostgreSQL's COPY FROM STDIN (CSV, \N
 * as NULL), gunzipping it first when it is gzip. It is the PostgreSQL-compatible stand-in for
 * Redshift's COPY FROM S3: the same file, read by the same CSV rules.
 */
export class CopyFromStdinLoader implements StagingLoader {
  async load(client: ClientBase, batch: StagedBatch): Promise<number> {
    // Open the staged file first: between issuing COPY and handing the stream to pipeline()
    // there must be no await, or a connection lost in that gap would error a stream nobody
    // listens to yet and the load would wait forever.
    const { head, stream } = await peek(await batch.openStagedData(), 2);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const copy = client.query(copyFrom(copyIntoStagingFromStdin(batch.contract, batch.shape)));
    // The copy stream stays the connection's active query until the server confirms it; a
    // connection killed in that window errors the stream after pipeline() let go of it. The
    // error still reaches the caller (the next query fails); this listener only keeps it from
    // crashing the process.
    copy.on('error', () => undefined);
    if (gzip) await pipeline(stream, createGunzip(), copy);
    else await pipeline(stream, copy);
    return copy.rowCount;
  }
}

/** Reads the first bytes of a stream and returns them with a stream that still yields everything. */
async function peek(source: Readable, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < bytes) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = toBuffer(next.value);
    chunks.push(chunk);
    size += chunk.length;
  }
  async function* replay() {
    yield* chunks;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield toBuffer(next.value);
    }
  }
  return { head: Buffer.concat(chunks), stream: Readable.from(replay()) };
}

const toBuffer = (chunk: Buffer | string) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

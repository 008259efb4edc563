// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import { apiKeys, createTestTopics, startGateway, testKafka, writeConfig } from '../router/support/harness';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';

const TABLES = [{ name: 'public.sales', columns: { id: 'bigint' }, primaryKey: ['id'] }];
const TEN_MB = 10 * 1024 * 1024;

interface Exchange {
  /** Everything the server sent, in order. */
  received: string;
  /** A socket error the client saw (EPIPE, ECONNRESET), if any. */
  error?: string;
}

/**
 * Writes a request and its whole 10 MB body without waiting (no `Expect: 100-continue`, as
 * most clients do), then a GET /healthz on the same connection, and records what came back.
 */
function sendWithoutExpect(port: number, head: string, body: Buffer): Promise<Exchange> {
  return new Promise((resolve) => {
    const exchange: Exchange = { received: '' };
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      socket.write(body);
      socket.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
    });
    socket.on('data', (chunk) => (exchange.received += chunk.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => (exchange.error = error.code ?? error.message));
    socket.on('close', () => resolve(exchange));
  });
}

function chunked(body: Buffer, size = 64 * 1024): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  return Buffer.concat([...parts, Buffer.from('0\r\n\r\n')]);
}

describe('producer gateway and bodies over the limit', () => {
  it('answers a 10 MB body with a JSON 413 the client reads, and keeps the connection usable', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'gwlarge', { ingest: 1, changes: 1, dlq: 1 });
    const { keys, env } = apiKeys([{ name: 'big', tables: ['*'] }]);
    const { url, app } = await startGateway(writeConfig(topics, TABLES), env, {
      TABLELANE_MAX_BODY_BYTES: '100000',
    });
    const port = Number(new URL(url).port);
    const request = (framing: string) =>
      `POST /v1/changes HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${keys.big}\r\n` +
      `Content-Type: application/json\r\n${framing}\r\n\r\n`;
    const body = Buffer.alloc(TEN_MB, 0x20);

    for (const [framing, payload] of [
      [`Content-Length: ${TEN_MB}`, body],
      ['Transfer-Encoding: chunked', chunked(body)],
    ] as const) {
      const started = Date.now();
      const exchange = await sendWithoutExpect(port, request(framing), payload);
      expect(exchange.error, framing).toBeUndefined();
      // The 413 first, with its JSON body; then the next request on the same connection is served.
      expect(exchange.received, framing).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
      const [, json] = /\r\n\r\n(\{[^\r]*?\})HTTP\/1\.1/.exec(exchange.received) ?? [];
      expect(JSON.parse(json ?? 'null'), framing).toMatchObject({
        error: 'PAYLOAD_TOO_LARGE',
        limit: 100000,
        retriable: false,
      });
      expect(exchange.received, framing).toMatch(/HTTP\/1\.1 200 OK\r\n[\s\S]*\{"status":"ok"\}$/);
      expect(Date.now() - started, framing).toBeLessThan(25_000);
    }
    expect(app.child.exitCode).toBeNull();
  });
});

import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { retryHelps } from '../http-reply';

/** How long a socket answered this way may stay open for the client to read the answer. */
const LINGER_MS = 2_000;

/** What Node's parser says about a request it could not read, as the gateway's error. */
const PARSER_ERRORS: Record<string, { status: number; error: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    error: 'HEADERS_TOO_LARGE',
    message: 'the request headers are too large',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    error: 'PAYLOAD_TOO_LARGE',
    message: 'the chunk extensions are too large',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    error: 'REQUEST_TIMEOUT',
    message: 'the request did not arrive in time',
  },
};

/** The part of a socket Node's HTTP server uses for the response in flight (undocumented). */
interface HttpSocket extends Duplex {
  _httpMessage?: { headersSent?: boolean } | null;
}

/**
 * Answers in JSON what never reaches a route: requests Node's parser refuses (a malformed
 * request line, bad headers, broken chunked framing; Node's own answer has no body) and
 * CONNECT, which Node would drop without an answer. `onAnswer` counts the status.
 */
export function answerUnparsableRequests(server: Server, onAnswer: (status: number) => void): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: HttpSocket) => {
    // The parser reports again on every chunk that follows; the client has its answer.
    if (answered.has(socket)) return;
    answered.add(socket);
    // A response already under way cannot be interrupted by another one.
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const known = PARSER_ERRORS[error.code ?? ''];
    const status = known?.status ?? 400;
    const message = known?.message ?? `the request is not valid HTTP/1.1 (${error.code ?? 'unknown'})`;
    writeAndClose(socket, status, { error: known?.error ?? 'BAD_REQUEST', message });
    onAnswer(status);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    writeAndClose(
      socket,
      405,
      { error: 'METHOD_NOT_ALLOWED', message: 'CONNECT is not served: the gateway is not a proxy' },
      { allow: 'GET, HEAD, POST, OPTIONS' },
    );
    onAnswer(405);
  });
}

function writeAndClose(
  socket: Duplex,
  status: number,
  body: { error: string; message: string },
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify({ ...body, retriable: retryHelps(status) });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  // End our side, but keep reading until the client closes (or LINGER_MS): closing with its
  // bytes unread would reset the connection and could discard the answer before it is read.
  const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(linger));
  socket.once('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
  socket.resume();
}

import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A request as bytes, written in one go whatever they hold (malformed HTTP included). */
export interface RawRequest {
  bytes: Buffer;
  /** HEAD answers carry no body even with a Content-Length. */
  head: boolean;
}

/**
 * An HTTP/1.1 client over one keep-alive socket that sends bytes exactly as given, so a test
 * can send what fetch refuses to (bad request lines, invalid UTF-8, broken chunking) and see
 * precisely what came back, or that nothing did. Reconnects when the server closed.
 */
export class RawHttpConnection {
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  private closed = true;
  private wake: (() => void) | undefined;
  private socketError: Error | undefined;

  constructor(
    private readonly port: number,
    private readonly timeoutMs = 10_000,
  ) {}

  async send(request: RawRequest): Promise<RawResponse> {
    if (this.closed) await this.open();
    this.socket!.write(request.bytes);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const response = this.takeResponse(request.head);
      if (response && response.status >= 200) {
        if (/close/i.test(response.headers.connection ?? '')) this.close();
        return response;
      }
      if (response) continue; // 1xx interim (100 Continue): the final answer follows
      if (this.closed) {
        const reason = this.socketError ? `: ${this.socketError.message}` : '';
        this.close();
        throw new Error(`the server closed the connection without an answer${reason}`);
      }
      if (Date.now() > deadline) {
        this.close();
        throw new Error(`no answer within ${this.timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.closed = true;
    this.buffer = Buffer.alloc(0);
  }

  private open(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    this.socketError = undefined;
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, '127.0.0.1', () => {
        this.closed = false;
        resolve();
      });
      socket.on('data', (chunk) => {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        this.wake?.();
      });
      socket.on('error', (error) => {
        this.socketError = error;
        reject(error);
      });
      socket.on('close', () => {
        if (this.socket === socket) this.closed = true;
        this.wake?.();
      });
      this.socket = socket;
    });
  }

  /** One complete response from the buffer, or undefined while more bytes are needed. */
  private takeResponse(head: boolean): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const rest = this.buffer.subarray(end + 4);
    const noBody = head || status < 200 || status === 204 || status === 304;
    const body = noBody ? Buffer.alloc(0) : readBody(rest, headers, this.closed);
    if (body === undefined) return undefined;
    const consumed = end + 4 + (noBody ? 0 : bodyLength(rest, headers, body));
    this.buffer = this.buffer.subarray(consumed);
    return { status, headers, body };
  }
}

function readBody(rest: Buffer, headers: Record<string, string>, closed: boolean): Buffer | undefined {
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return dechunk(rest)?.body;
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    return rest.length >= length ? rest.subarray(0, length) : undefined;
  }
  return closed ? rest : undefined;
}

function bodyLength(rest: Buffer, headers: Record<string, string>, body: Buffer): number {
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return dechunk(rest)!.consumed;
  return body.length;
}

function dechunk(rest: Buffer): { body: Buffer; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) {
      const trailerEnd = rest.indexOf('\r\n', lineEnd + 2);
      return trailerEnd === -1 ? undefined : { body: Buffer.concat(parts), consumed: trailerEnd + 2 };
    }
    if (rest.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

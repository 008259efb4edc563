import { createConnection, createServer, type Socket } from 'node:net';
import { stackEnv } from './env';

/**
 * A TCP proxy in front of PostgreSQL that can turn a COMMIT into an ambiguous one: the server
 * has committed, the client sees the connection die. It reads just enough of the wire protocol
 * for that (every message after the startup packet is a 1-byte type and an int32 length that
 * counts itself but not the type).
 */
export interface PgFaultProxy {
  /** Loopback port to give the client (e.g. `PGPORT` of a spawned sink). */
  port: number;
  /**
   * Arms the next `times` COMMITs whose transaction sent a statement for which `onlyIf` holds
   * (any transaction without it): the proxy forwards COMMIT's CommandComplete, withholds the
   * ReadyForQuery after it and destroys both sockets. node-pg settles a query on
   * ReadyForQuery, so the client's COMMIT fails with "Connection terminated unexpectedly"
   * although the server committed. Calls add up; `times` defaults to 1.
   */
  dropAfterCommitReply(times?: number, onlyIf?: (statements: readonly string[]) => boolean): void;
  /** Drops no further COMMITs (those already dropped stay dropped). */
  disarm(): void;
  /** COMMITs dropped so far. */
  commitsDropped(): number;
  /** Client connections accepted so far. */
  connections(): number;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

/** The checkpoint advance of a flush (its compare-and-set), not a claim or DDL. */
export const advancesCheckpoint = (statements: readonly string[]): boolean =>
  statements.some((sql) => /__ckpt"? SET "?last_offset"? =/i.test(sql));

// Startup-phase request codes that carry no type byte and are answered by a single byte.
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

interface Arming {
  remaining: number;
  onlyIf?: (statements: readonly string[]) => boolean;
}

export async function startPgFaultProxy(
  target = { host: stackEnv.PGHOST, port: Number(stackEnv.PGPORT) },
): Promise<PgFaultProxy> {
  const armings: Arming[] = [];
  const open = new Set<Socket>();
  let accepted = 0;
  let dropped = 0;

  /** Consumes one arming that accepts this transaction, if any. */
  const shouldDrop = (statements: readonly string[]): boolean => {
    const arming = armings.find((a) => a.remaining > 0 && (a.onlyIf?.(statements) ?? true));
    if (!arming) return false;
    arming.remaining--;
    return true;
  };

  const server = createServer((client) => {
    accepted++;
    const upstream = createConnection(target);
    open.add(client).add(upstream);
    const teardown = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);

    // SQL the client sent in the current transaction, reset when the server is idle again.
    let statements: string[] = [];
    let startupDone = false;
    let fromClient = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      for (;;) {
        if (!startupDone) {
          if (fromClient.length < 8) return;
          const length = fromClient.readInt32BE(0);
          if (fromClient.length < length) return;
          const code = fromClient.readInt32BE(4);
          const packet = fromClient.subarray(0, length);
          fromClient = fromClient.subarray(length);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            // Answered here, so the server's reply never breaks the framing we parse.
            client.write('N');
            continue;
          }
          startupDone = true;
          upstream.write(packet);
          continue;
        }
        if (fromClient.length < 5) return;
        const length = fromClient.readInt32BE(1);
        if (fromClient.length < length + 1) return;
        const message = fromClient.subarray(0, length + 1);
        fromClient = fromClient.subarray(length + 1);
        const sql = statementOf(message);
        if (sql !== undefined) statements.push(sql);
        upstream.write(message);
      }
    });

    let fromServer = Buffer.alloc(0);
    let dropping = false;
    upstream.on('data', (chunk: Buffer) => {
      // Whatever the server sends after the dropped COMMIT's reply must never reach the client.
      if (dropping) return;
      fromServer = Buffer.concat([fromServer, chunk]);
      let forwardUpTo = 0;
      for (;;) {
        if (fromServer.length - forwardUpTo < 5) break;
        const type = String.fromCharCode(fromServer[forwardUpTo]!);
        const length = fromServer.readInt32BE(forwardUpTo + 1);
        const end = forwardUpTo + 1 + length;
        if (fromServer.length < end) break;
        const body = fromServer.subarray(forwardUpTo + 5, end);
        forwardUpTo = end;
        if (type === 'Z' && body[0] === 'I'.charCodeAt(0)) statements = [];
        if (
          type === 'C' &&
          body.toString('utf8', 0, body.length - 1) === 'COMMIT' &&
          shouldDrop(statements)
        ) {
          dropped++;
          dropping = true;
          client.write(fromServer.subarray(0, forwardUpTo), teardown);
          return;
        }
      }
      client.write(fromServer.subarray(0, forwardUpTo));
      fromServer = fromServer.subarray(forwardUpTo);
    });
  });

  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => listening());
  });
  const { port } = server.address() as { port: number };

  return {
    port,
    dropAfterCommitReply: (times = 1, onlyIf) => void armings.push({ remaining: times, onlyIf }),
    disarm: () => void armings.splice(0),
    commitsDropped: () => dropped,
    connections: () => accepted,
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of open) socket.destroy();
        server.close(() => closed());
      }),
  };
}

/** The SQL of a simple Query ('Q') or of a Parse ('P': name, then the query), else undefined. */
function statementOf(message: Buffer): string | undefined {
  const type = String.fromCharCode(message[0]!);
  if (type === 'Q') return message.toString('utf8', 5, message.length - 1);
  if (type !== 'P') return undefined;
  const nameEnd = message.indexOf(0, 5);
  return message.toString('utf8', nameEnd + 1, message.indexOf(0, nameEnd + 1));
}

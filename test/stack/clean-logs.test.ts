// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  apiKeys,
  createTestTopics,
  routerEnv,
  sleep,
  startApp,
  startGateway,
  testKafka,
  writeConfig,
  type AppProcess,
} from '../router/support/harness';
import { freePort } from '../support/ports';
// The test's own kafkajs clients would print the TimeoutNegativeWarning in the runner's output:
// loading @app/kafka installs the RequestQueue timer fix.
import '@app/kafka';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/env';
import { dropSchemasAfterTest, testPool } from '../support/postgres';
import { startSink } from '../support/sink-process';

/** pino's numeric level of `warn`: anything at or above it is a line an operator must read. */
const WARN = 40;

/**
 * Every line an app writes on a clean start, one change end to end and a SIGTERM must be a
 * pino JSON line below warn. A warning on every start (kafkajs doubting our exactly-once
 * guarantee, Node's TimeoutNegativeWarning, a retry kafkajs handles itself logged as an
 * error, a coloured Nest line) teaches operators to ignore warnings, so any such line fails.
 */
function unquietLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      if (line.startsWith('(node:')) return true;
      try {
        const entry = JSON.parse(line) as { level?: unknown };
        return typeof entry.level !== 'number' || entry.level >= WARN;
      } catch {
        return true;
      }
    });
}

async function untilReady(name: string, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`${name} did not become ready:\n${output().slice(-4000)}`);
    await sleep(200);
  }
}

describe('clean logs', () => {
  it('router, sink and gateway log only JSON below warn from start through one change to SIGTERM', async () => {
    const topics = await createTestTopics(testKafka(), 'cleanlogs', { ingest: 2, changes: 2, dlq: 1 });
    const schema = uniqueName('cleanlogs');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const table = `${schema}.events`;
    const configPath = writeConfig(topics, [
      { name: table, columns: { id: 'bigint', note: 'text' }, primaryKey: ['id'] },
    ]);
    const { keys, env: apiKeysEnv } = apiKeys([{ name: 'writer', tables: ['*'] }]);

    const routerPort = await freePort();
    const router = startApp('router', { ...routerEnv(configPath, topics), PORT: String(routerPort) });
    const sinkPort = await freePort();
    const sink = startSink(configPath, {
      TABLELANE_SINK_GROUP: `${topics.base}.sink`,
      TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000',
      PORT: String(sinkPort),
    });
    const gateway = await startGateway(configPath, apiKeysEnv);
    await untilReady('router', routerPort, router.output);
    await untilReady('sink', sinkPort, sink.output);

    // One change through every app: the gateway's idempotent send, the router's transaction
    // and the sink's flush each run once, so their first-use paths are in the logs too.
    const note = randomBytes(8).toString('hex');
    const posted = await fetch(`${gateway.url}/v1/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.writer}` },
      body: JSON.stringify({ table, op: 'upsert', row: { id: 1, note } }),
    });
    expect(posted.status).toBe(202);
    const pool = testPool();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const loaded = await pool.query(`SELECT note FROM "${schema}".events WHERE id = 1`).then(
        (r) => r.rows[0]?.note as string | undefined,
        () => undefined,
      );
      if (loaded === note) break;
      if (Date.now() > deadline) throw new Error(`the change was not loaded:\n${sink.output().slice(-4000)}`);
      await sleep(200);
    }

    const apps: [string, Pick<AppProcess, 'child' | 'output' | 'exited'>][] = [
      ['gateway', gateway.app],
      ['router', router],
      ['sink', sink],
    ];
    for (const [, app] of apps) app.child.kill('SIGTERM');
    const codes = await Promise.all(apps.map(([, app]) => app.exited));
    expect(Object.fromEntries(apps.map(([name], i) => [name, codes[i]]))).toEqual({
      gateway: 0,
      router: 0,
      sink: 0,
    });
    // Each app must have said something, or an empty output would pass vacuously.
    for (const [name, app] of apps) expect(app.output(), name).toMatch(/"level":30/);
    expect(Object.fromEntries(apps.map(([name, app]) => [name, unquietLines(app.output())]))).toEqual({
      gateway: [],
      router: [],
      sink: [],
    });
  });
});

// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  apiKeys,
  createTestTopics,
  readCommitted,
  startGateway,
  testKafka,
  writeConfig,
} from '../router/support/harness';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRequests, type FuzzCase } from './support/fuzz-requests';
import { RawHttpConnection, type RawResponse } from './support/raw-http';

const TABLES = [
  {
    name: 'public.sales',
    columns: { id: 'bigint', qty: 'integer', price: 'numeric(10,2)', doc: 'json' },
    primaryKey: ['id'],
  },
];
const MAX_BODY = 64 * 1024;
const REQUESTS = Number(process.env.TABLELANE_FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 16;
const SEED = Number(process.env.TABLELANE_FUZZ_SEED ?? Date.now() % 2 ** 31);

interface ErrorBody {
  error?: unknown;
  accepted?: number;
  errors?: { index: number; issues?: { code: string }[] }[];
}

describe('producer gateway under fuzzed HTTP', () => {
  it(`answers ${REQUESTS} generated requests with 2xx or a JSON 4xx, never 5xx, and still accepts good events`, async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'gwfuzz', { ingest: 1, changes: 1, dlq: 1 });
    const { keys, env } = apiKeys([{ name: 'fuzz', tables: ['*'] }]);
    const { url, app } = await startGateway(writeConfig(topics, TABLES), env, {
      TABLELANE_MAX_BODY_BYTES: String(MAX_BODY),
    });
    const port = Number(new URL(url).port);
    let exited: number | null | undefined;
    void app.exited.then((code) => (exited = code));

    const cases = fc.sample(fuzzRequests({ key: keys.fuzz!, maxBodyBytes: MAX_BODY }), {
      numRuns: REQUESTS,
      seed: SEED,
    });
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let accepted = 0;
    let next = 0;
    const worker = async () => {
      const connection = new RawHttpConnection(port);
      try {
        while (next < cases.length && exited === undefined) {
          const fuzz = cases[next++]!;
          try {
            if (fuzz.ownConnection) connection.close();
            const response = await connection.send(fuzz);
            if (fuzz.ownConnection) connection.close();
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            const problem = judge(fuzz, response);
            if (problem) failures.push(describeFailure(fuzz, problem, response));
            if (response.status === 202)
              accepted += (JSON.parse(response.body.toString()) as ErrorBody).accepted!;
          } catch (error) {
            failures.push(describeFailure(fuzz, (error as Error).message));
          }
        }
      } finally {
        connection.close();
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - started;

    const summary = `seed ${SEED} (TABLELANE_FUZZ_SEED), ${next} requests in ${elapsed} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`;
    expect(exited, `${summary}\n${app.output().slice(-4000)}`).toBeUndefined();
    expect(failures.slice(0, 15), `${failures.length} failures; ${summary}`).toEqual([]);
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('tablelane_gateway_responses_total{class="5xx"} 0');
    expect(metrics).toMatch(/tablelane_gateway_responses_total\{class="4xx"\} [1-9]/);

    // Afterwards good events are still accepted, and the topic holds exactly what was accepted.
    const good = ['after-1', 'after-2', 'after-3'].map((id, i) => ({
      table: 'public.sales',
      op: 'upsert',
      id,
      row: { id: 900_000_000 + i, qty: i, price: '1.00' },
    }));
    const res = await fetch(`${url}/v1/changes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.fuzz}`, 'content-type': 'application/json' },
      body: JSON.stringify(good),
    });
    expect(await res.json()).toEqual({ accepted: 3 });
    const ingested = await readCommitted(kafka, topics.ingest, accepted + good.length, { quietMs: 2000 });
    expect(ingested.length).toBe(accepted + good.length);
    const ids = ingested.map((r) => (JSON.parse(r.value!.toString()) as { id?: string }).id);
    expect(ids.filter((id) => id?.startsWith('after-')).sort()).toEqual(good.map((g) => g.id));
    expect(app.child.exitCode).toBeNull();
  });
});

/** What is wrong with a response to a generated request, or undefined when it is right. */
function judge(fuzz: FuzzCase, response: RawResponse): string | undefined {
  const { status } = response;
  if (!fuzz.expect.status.includes(status))
    return `status ${status}, expected ${fuzz.expect.status.join(' or ')}`;
  if (fuzz.expect.allow && response.headers.allow !== fuzz.expect.allow)
    return `Allow ${JSON.stringify(response.headers.allow)}, expected ${fuzz.expect.allow}`;
  if (status < 400 || fuzz.head) return undefined;
  if (!/^application\/json/.test(response.headers['content-type'] ?? ''))
    return 'a 4xx without a JSON content type';
  let body: ErrorBody;
  try {
    body = JSON.parse(response.body.toString()) as ErrorBody;
  } catch {
    return 'a 4xx whose body is not JSON';
  }
  if (typeof body.error !== 'string') return 'a 4xx without an error code';
  if (status !== 400) return undefined;
  const codes = (body.errors ?? []).flatMap((e) => (e.issues ?? []).map((i) => i.code));
  if (fuzz.expect.issue && !codes.includes(fuzz.expect.issue))
    return `issues ${codes.join(',')}, expected ${fuzz.expect.issue}`;
  if (fuzz.expect.indexes) {
    const indexes = (body.errors ?? []).map((e) => e.index);
    if (indexes.join() !== fuzz.expect.indexes.join())
      return `error indexes ${indexes.join(',')}, expected the bad lines ${fuzz.expect.indexes.join(',')}`;
  }
  return undefined;
}

function describeFailure(fuzz: FuzzCase, problem: string, response?: RawResponse): string {
  const request = JSON.stringify(fuzz.bytes.subarray(0, 300).toString('latin1'));
  const answer = response ? ` -> ${response.status} ${response.body.subarray(0, 200).toString()}` : '';
  return `${fuzz.kind}: ${problem}; request ${request}${answer}`;
}

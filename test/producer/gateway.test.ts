// The harness comes first: it installs the read_committed fix before anything loads kafkajs.
import {
  apiKeys,
  createTestTopics,
  readCommitted,
  startGateway,
  testKafka,
  writeConfig,
} from '../router/support/harness';
import { describe, expect, it } from 'vitest';

const TABLES = [
  {
    name: 'public.sales',
    columns: { id: 'bigint', qty: 'integer', price: 'numeric(10,2)' },
    primaryKey: ['id'],
  },
  { name: 'shop.orders', columns: { id: 'bigint', status: 'text' }, primaryKey: ['id'] },
];
const MAX_BODY = 4096;

describe('producer gateway', () => {
  it('answers every bad request with a clear 4xx, accepts the good ones, and loses nothing', async () => {
    const kafka = testKafka();
    const topics = await createTestTopics(kafka, 'gateway', { ingest: 2, changes: 2, dlq: 1 });
    const { keys, env } = apiKeys([
      { name: 'all', tables: ['*'] },
      { name: 'public', tables: ['public.*'] },
    ]);
    const { url, app } = await startGateway(writeConfig(topics, TABLES), env, {
      TABLELANE_MAX_BODY_BYTES: String(MAX_BODY),
    });

    const post = async (
      body: string | ReadableStream<Uint8Array>,
      headers: Record<string, string> = {},
      key: string | null = keys.all!,
    ) => {
      const res = await fetch(`${url}/v1/changes`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...headers,
        },
        body,
        ...(typeof body === 'string' ? {} : { duplex: 'half' }),
      } as RequestInit);
      return {
        status: res.status,
        body: (await res.json()) as {
          error?: string;
          accepted?: number;
          errors?: { index: number; table?: string; issues?: { code: string; field?: string }[] }[];
        },
      };
    };
    const sale = (id: string, extra: object = {}) => ({
      table: 'public.sales',
      op: 'upsert',
      id,
      row: { id: id.replace(/\D/g, ''), qty: 1, price: '2.50', ...extra },
    });
    const good: string[] = [];

    // A good JSON array and a good NDJSON batch.
    expect(await post(JSON.stringify([sale('g1'), sale('g2')]))).toEqual({
      status: 202,
      body: { accepted: 2 },
    });
    good.push('g1', 'g2');
    expect(
      await post(
        [sale('g3'), { table: 'shop.orders', op: 'delete', key: { id: 3 }, id: 'g4' }]
          .map((e) => JSON.stringify(e))
          .join('\n'),
        { 'content-type': 'application/x-ndjson' },
      ),
    ).toEqual({
      status: 202,
      body: { accepted: 2 },
    });
    good.push('g3', 'g4');

    // Malformed JSON, as a whole body and as one NDJSON line.
    expect(await post('[{"table": "public.sales", "op": ')).toMatchObject({
      status: 400,
      body: { error: 'INVALID_CHANGES', errors: [{ index: 0, issues: [{ code: 'MALFORMED_JSON' }] }] },
    });
    expect(
      await post(`${JSON.stringify(sale('b1'))}\n{"table":\n`, { 'content-type': 'application/x-ndjson' }),
    ).toMatchObject({
      status: 400,
      body: { errors: [{ index: 1, issues: [{ code: 'MALFORMED_JSON' }] }] },
    });
    // Unknown table, missing key column, wrong type: every invalid event listed by index, none accepted.
    const invalid = await post(
      JSON.stringify([
        sale('b2'),
        { table: 'public.nope', op: 'upsert', row: { id: 1 } },
        { table: 'public.sales', op: 'upsert', row: { qty: 1 } },
        sale('b3', { qty: 'many' }),
      ]),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors!.map((e) => [e.index, e.issues!.map((i) => `${i.code}:${i.field}`)])).toEqual([
      [1, ['UNKNOWN_TABLE:table']],
      [2, ['MISSING_KEY:row.id']],
      [3, ['INVALID_VALUE:row.qty']],
    ]);

    // Oversized bodies: declared by Content-Length, and streamed without one.
    const big = JSON.stringify(Array.from({ length: 200 }, (_, i) => sale(`b${100 + i}`)));
    expect(big.length).toBeGreaterThan(MAX_BODY);
    expect(await post(big)).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    const chunks = [big.slice(0, 3000), big.slice(3000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    expect(await post(stream)).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });

    // Missing and wrong API keys; a table outside the key's scope.
    expect(await post(JSON.stringify([sale('b4')]), {}, null)).toMatchObject({
      status: 401,
      body: { error: 'MISSING_API_KEY' },
    });
    expect(await post(JSON.stringify([sale('b5')]), {}, 'not-a-key')).toMatchObject({
      status: 401,
      body: { error: 'INVALID_API_KEY' },
    });
    expect(
      await post(JSON.stringify([sale('b6')]), { authorization: '', 'x-api-key': keys.public! }, null),
    ).toEqual({ status: 202, body: { accepted: 1 } });
    good.push('b6');
    expect(
      await post(
        JSON.stringify([sale('b7'), { table: 'shop.orders', op: 'upsert', row: { id: 7 }, id: 'b8' }]),
        {},
        keys.public,
      ),
    ).toMatchObject({
      status: 403,
      body: { error: 'TABLE_NOT_IN_SCOPE', errors: [{ index: 1, table: 'shop.orders' }] },
    });

    // HTTP conventions: an unread Content-Type is 415, a wrong method on a known path 405 with
    // Allow, an unknown path 404; every one with a JSON error body.
    expect(await post(JSON.stringify(sale('b9')), { 'content-type': 'text/plain' })).toMatchObject({
      status: 415,
      body: { error: 'UNSUPPORTED_MEDIA_TYPE' },
    });
    const wrongMethod = await fetch(`${url}/v1/changes`, {
      headers: { authorization: `Bearer ${keys.all}` },
    });
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'POST, OPTIONS']);
    expect(await wrongMethod.json()).toMatchObject({ error: 'METHOD_NOT_ALLOWED' });
    const readOnly = await fetch(`${url}/healthz`, { method: 'DELETE' });
    expect([readOnly.status, readOnly.headers.get('allow')]).toEqual([405, 'GET, HEAD, OPTIONS']);
    const unknown = await fetch(`${url}/v1/change`, { method: 'POST', body: '[]' });
    expect([unknown.status, await unknown.json()]).toMatchObject([404, { error: 'NOT_FOUND' }]);

    // Still healthy, still accepting; the OpenAPI description is served.
    expect(await post(JSON.stringify(sale('g9')))).toEqual({ status: 202, body: { accepted: 1 } });
    good.push('g9');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('tablelane_gateway_requests_total{status="413"} 2');
    expect(metrics).toContain('tablelane_gateway_changes_accepted_total 6');
    expect(metrics).toContain('tablelane_gateway_responses_total{class="5xx"} 0');
    const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, { post?: { responses: object } }>;
    };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths['/v1/changes']!.post!.responses)).toEqual([
      '202',
      '400',
      '401',
      '403',
      '413',
      '415',
      '500',
      '503',
    ]);

    // Exactly the accepted events reached the ingest topic: nothing lost, nothing extra.
    const ingested = await readCommitted(kafka, topics.ingest, good.length, { quietMs: 2000 });
    expect(ingested.map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id).sort()).toEqual(
      [...good].sort(),
    );
    expect(ingested.every((r) => r.headers['tablelane.source']?.startsWith('http:'))).toBe(true);
    expect(app.child.exitCode).toBeNull();
  });
});

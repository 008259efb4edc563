import { parseConfig } from '@app/config';
import { DEFAULT_VALUE_RULES, DLQ_HEADERS, parseTransforms } from '@app/contracts';
import { valueRulesFor } from '@app/warehouse';
import { ChangeRejected } from '@app/contracts';
import type { PipelineRecord } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import { routeRecord, type RouteContext } from './route-record';

const raw = {
  topics: { ingest: 'in', changes: 'out', dlq: 'dead' },
  tables: [
    { name: 'public.sales', columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] },
    {
      name: 'shop.orders',
      columns: { id: 'bigint', region: 'text' },
      primaryKey: ['id'],
      transforms: [{ filter: { column: 'region', equals: 'eu' } }],
    },
  ],
};
const config = parseConfig(raw);
const ctx: RouteContext = {
  config,
  transforms: parseTransforms(raw, config),
  rules: DEFAULT_VALUE_RULES,
  topics: config.topics,
  lanes: new Map([
    ['public.sales', 3],
    ['shop.orders', 5],
  ]),
  dlqPartitions: 1,
};
const noAvro = {
  decode: async () => {
    throw new ChangeRejected([{ code: 'UNKNOWN_SCHEMA', message: 'schema id 9 is not known' }]);
  },
};
const record = (value: string | Buffer | null): PipelineRecord => ({
  topic: 'in',
  partition: 2,
  offset: '41',
  key: null,
  value: typeof value === 'string' ? Buffer.from(value) : value,
  headers: { trace: 'abc' },
});

describe('routeRecord', () => {
  it('puts a valid change on its table lane, keyed by table, in the JSON form', async () => {
    const result = await routeRecord(
      ctx,
      record('{"table":"public.sales","op":"upsert","row":{"id":"1","qty":2},"extra":1}'),
      noAvro,
    );
    expect(result).toMatchObject({
      kind: 'change',
      output: { topic: 'out', partition: 3, key: 'public.sales' },
    });
    if (result.kind !== 'change') throw new Error('expected a change');
    expect(JSON.parse(String(result.output.value))).toEqual({
      table: 'public.sales',
      op: 'upsert',
      row: { id: '1', qty: 2 },
    });
  });

  it.each([
    ['malformed JSON', '{"table":', 'MALFORMED_JSON'],
    ['an unknown table', '{"table":"x.y","op":"upsert","row":{}}', 'UNKNOWN_TABLE'],
    ['a missing key', '{"table":"public.sales","op":"upsert","row":{"qty":1}}', 'MISSING_KEY'],
    ['a wrong type', '{"table":"public.sales","op":"upsert","row":{"id":1,"qty":"lots"}}', 'INVALID_VALUE'],
  ])('dead-letters %s with the original bytes and the reason', async (_what, value, code) => {
    const result = await routeRecord(ctx, record(value), noAvro);
    expect(result.kind).toBe('dead');
    if (result.kind !== 'dead') return;
    expect(result.output).toMatchObject({ topic: 'dead', partition: 0, value: Buffer.from(value) });
    expect(result.output.headers).toMatchObject({
      trace: 'abc',
      [DLQ_HEADERS.sourceTopic]: 'in',
      [DLQ_HEADERS.sourcePartition]: '2',
      [DLQ_HEADERS.sourceOffset]: '41',
      [DLQ_HEADERS.errorCode]: code,
      [DLQ_HEADERS.stage]: 'router',
    });
  });

  it('sends Avro-framed values to the Avro decoder', async () => {
    const result = await routeRecord(ctx, record(Buffer.from([0, 0, 0, 0, 9, 1])), noAvro);
    expect(result.kind === 'dead' && result.error.code).toBe('UNKNOWN_SCHEMA');
  });

  it('drops what a filter does not keep', async () => {
    expect(
      (
        await routeRecord(
          ctx,
          record('{"table":"shop.orders","op":"upsert","row":{"id":1,"region":"us"}}'),
          noAvro,
        )
      ).kind,
    ).toBe('filtered');
  });

  it("validates with the configured warehouse's rules: Redshift counts varchar in bytes", async () => {
    const narrow = parseConfig({
      tables: [{ name: 'public.notes', columns: { id: 'bigint', note: 'varchar(3)' }, primaryKey: ['id'] }],
    });
    const value = record('{"table":"public.notes","op":"upsert","row":{"id":1,"note":"ééé"}}');
    const onPostgres = { ...ctx, config: narrow, lanes: new Map([['public.notes', 0]]) };
    const onRedshift = { ...onPostgres, rules: valueRulesFor('redshift') };
    expect((await routeRecord(onPostgres, value, noAvro)).kind).toBe('change');
    const refused = await routeRecord(onRedshift, value, noAvro);
    expect(refused.kind === 'dead' && refused.error.message).toContain('bytes');
  });

  it.each([
    [
      '6,000-level nesting',
      Buffer.from(`{"table":"public.sales","row":${'['.repeat(6000)}${']'.repeat(6000)}}`),
      'TOO_DEEP',
    ],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'INVALID_UTF8'],
    [
      'a lone surrogate',
      Buffer.from('{"table":"public.sales","op":"upsert","row":{"id":1,"n":"\\udc00"}}'),
      'INVALID_UTF8',
    ],
    ['a magic byte other than 0', Buffer.from([1, 0, 0, 0, 7, 2]), 'BAD_MAGIC_BYTE'],
  ])('dead-letters %s instead of throwing or altering text', async (_what, value, code) => {
    const result = await routeRecord(ctx, record(value), noAvro);
    expect(result.kind === 'dead' && result.error.code).toBe(code);
  });

  it('dead-letters any unexpected failure with a code and the reason, but rethrows what a retry can fix', async () => {
    const broken = { decode: async () => Promise.reject(new TypeError('boom')) };
    const result = await routeRecord(ctx, record(Buffer.from([0, 0, 0, 0, 9])), broken);
    expect(result.kind === 'dead' && result.error).toEqual({
      code: 'ROUTER_FAILED',
      message: 'the router failed on this record: TypeError: boom',
    });
    const down = {
      decode: async () => Promise.reject(Object.assign(new Error('down'), { retriable: true })),
    };
    await expect(routeRecord(ctx, record(Buffer.from([0, 0, 0, 0, 9])), down)).rejects.toThrow('down');
  });
});

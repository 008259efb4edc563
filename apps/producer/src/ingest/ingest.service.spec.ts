import { parseConfig } from '@app/config';
import { NO_TRANSFORMS } from '@app/contracts';
import { describe, expect, it } from 'vitest';
import type { ApiKeyEntry } from '../auth/api-keys';
import type { IngestMessage, IngestPublisher } from './ingest-publisher';
import { IngestService } from './ingest.service';

const config = parseConfig({
  tables: [
    { name: 'public.sales', columns: { id: 'bigint', qty: 'integer' }, primaryKey: ['id'] },
    { name: 'shop.orders', columns: { id: 'bigint' }, primaryKey: ['id'] },
  ],
});
const key: ApiKeyEntry = { name: 'sales', sha256: Buffer.alloc(32), tables: ['public.*'] };

function service() {
  const published: IngestMessage[] = [];
  const publisher: IngestPublisher = { publish: async (m) => void published.push(...m), isReady: () => true };
  return { published, ingest: new IngestService(config, NO_TRANSFORMS, publisher) };
}

describe('IngestService', () => {
  it('accepts a JSON array and NDJSON, keyed by table and primary key', async () => {
    const { ingest, published } = service();
    expect(
      await ingest.ingest(
        key,
        Buffer.from('[{"table":"public.sales","op":"upsert","row":{"id":1,"qty":2}}]'),
        'json',
      ),
    ).toEqual({ status: 202, body: { accepted: 1 } });
    const ndjson =
      '{"table":"public.sales","op":"delete","key":{"id":1}}\n\n{"table":"public.sales","op":"upsert","row":{"id":"2"}}\n';
    expect((await ingest.ingest(key, Buffer.from(ndjson), 'ndjson')).status).toBe(202);
    expect(published.map((m) => m.key)).toEqual([
      'public.sales:["1"]',
      'public.sales:["1"]',
      'public.sales:["2"]',
    ]);
  });

  it('lists every invalid event with its index and accepts none of the batch', async () => {
    const { ingest, published } = service();
    const reply = await ingest.ingest(
      key,
      Buffer.from(
        '[{"table":"public.sales","op":"upsert","row":{"id":1}},{"table":"public.sales","op":"upsert","row":{"qty":"x"}}]',
      ),
      'json',
    );
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([
      {
        index: 1,
        issues: [
          {
            code: 'INVALID_VALUE',
            field: 'row.qty',
            message: 'row.qty expected a whole number, got string "x"',
          },
          {
            code: 'MISSING_KEY',
            field: 'row.id',
            message: 'row.id is part of the primary key of public.sales and must be set',
          },
        ],
      },
    ]);
    expect(published).toEqual([]);
  });

  it('reports NDJSON errors by line number - 1, blank lines counted', async () => {
    const reply = await service().ingest.ingest(
      key,
      Buffer.from('{"table":"public.sales","op":"upsert","row":{"id":1}}\n\n{oops\n'),
      'ndjson',
    );
    expect(reply).toMatchObject({
      status: 400,
      body: { errors: [{ index: 2, issues: [{ code: 'MALFORMED_JSON' }] }] },
    });
    const invalid = await service().ingest.ingest(
      key,
      Buffer.from(
        '\n{"table":"public.sales","op":"upsert","row":{"id":1}}\n\n{"table":"public.sales","op":"upsert","row":{}}',
      ),
      'ndjson',
    );
    expect(invalid).toMatchObject({
      status: 400,
      body: { errors: [{ index: 3, issues: [{ code: 'MISSING_KEY' }] }] },
    });
  });

  it('forbids tables outside the key scope before validating', async () => {
    const reply = await service().ingest.ingest(
      key,
      Buffer.from('\n{"table":"shop.orders","op":"upsert","row":{}}'),
      'ndjson',
    );
    expect(reply).toMatchObject({
      status: 403,
      body: { error: 'TABLE_NOT_IN_SCOPE', errors: [{ index: 1, table: 'shop.orders' }] },
    });
  });
});

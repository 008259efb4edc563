import { ChangeRejected } from '@app/contracts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSchemaRegistry, RegistryUnavailable } from './schema-registry-client';

/** A registry that answers every schema lookup with the status its id asks for. */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const id = Number(req.url?.split('/').pop());
    res.statusCode = id === 1 ? 200 : id;
    res.end(id === 1 ? JSON.stringify({ schema: '"string"' }) : `status ${id}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HttpSchemaRegistry.schemaById', () => {
  it('returns the schema, or undefined for an id the registry does not know', async () => {
    const registry = new HttpSchemaRegistry(url);
    expect(await registry.schemaById(1)).toEqual({ schema: '"string"' });
    expect(await registry.schemaById(404)).toBeUndefined();
  });

  it('refuses the record when the registry says no about its schema (4xx), so it is dead-lettered', async () => {
    const registry = new HttpSchemaRegistry(url);
    for (const status of [400, 422]) {
      const refused = registry.schemaById(status);
      await expect(refused).rejects.toBeInstanceOf(ChangeRejected);
      await expect(refused).rejects.toThrow(
        new RegExp(`cannot serve schema id ${status} \\(HTTP ${status}\\)`),
      );
    }
  });

  it('waits (retriable) when the registry is failing, timing out or throttling', async () => {
    const registry = new HttpSchemaRegistry(url);
    for (const status of [408, 429, 503]) {
      await expect(registry.schemaById(status)).rejects.toBeInstanceOf(RegistryUnavailable);
    }
  });
});

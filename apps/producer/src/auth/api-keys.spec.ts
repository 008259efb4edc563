import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiKeyConfigError, authenticate, inScope, parseApiKeys, presentedKey } from './api-keys';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const keys = parseApiKeys([
  { name: 'orders', sha256: sha('k-orders'), tables: ['shop.orders'] },
  { name: 'public', sha256: sha('k-public'), tables: ['public.*'] },
]);

describe('API keys', () => {
  it('finds a key by its hash, from a bearer token or X-Api-Key', () => {
    expect(authenticate(keys, presentedKey('Bearer k-orders', undefined))?.name).toBe('orders');
    expect(authenticate(keys, presentedKey(undefined, 'k-public'))?.name).toBe('public');
    expect(authenticate(keys, presentedKey('Bearer nope', undefined))).toBeUndefined();
    expect(authenticate(keys, presentedKey(undefined, undefined))).toBeUndefined();
  });

  it('scopes keys to tables and schemas', () => {
    expect(inScope(keys[0]!, 'shop.orders')).toBe(true);
    expect(inScope(keys[0]!, 'shop.refunds')).toBe(false);
    expect(inScope(keys[1]!, 'public.sales')).toBe(true);
  });

  it('refuses a plain key where its hash belongs', () => {
    expect(() => parseApiKeys([{ name: 'x', sha256: 'k-orders', tables: ['*'] }])).toThrow(ApiKeyConfigError);
  });
});

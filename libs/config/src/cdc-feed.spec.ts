import { describe, expect, it } from 'vitest';
import { bindingOf, feedOfTopic } from './cdc-feed';
import { parseConfig } from './load-config';

const customers = {
  name: 'public.customers',
  columns: { id: 'integer', name: 'text', source_lsn: 'bigint' },
  primaryKey: ['id'],
  version: 'source_lsn',
};
const file = (cdc: unknown, tables: unknown[] = [customers]) => ({ tables, cdc });
const problems = (raw: unknown): string => {
  try {
    parseConfig(raw, {});
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the file validated');
};

describe('cdc feeds', () => {
  it('defaults to none, and fills a feed’s defaults', () => {
    expect(parseConfig({ tables: [customers] }, {}).cdc).toEqual([]);
    const [feed] = parseConfig(
      file([
        {
          name: 'shop',
          topics: ['shop.public.customers'],
          tables: [{ source: 'public.customers', table: 'public.customers' }],
        },
      ]),
      {},
    ).cdc;
    expect(feed).toEqual({
      name: 'shop',
      format: 'debezium',
      topics: ['shop.public.customers'],
      unavailableValue: '__debezium_unavailable_value',
      tables: [{ source: 'public.customers', table: 'public.customers', undeclaredColumns: 'ignore' }],
    });
  });

  it('needs topics or a pattern, and a binding to a versioned merge contract', () => {
    expect(
      problems(file([{ name: 'shop', tables: [{ source: 'a.b', table: 'public.customers' }] }])),
    ).toMatch(/topics: or topicPattern:/);
    expect(
      problems(file([{ name: 'shop', topics: ['t'], tables: [{ source: 'a.b', table: 'public.nope' }] }])),
    ).toMatch(/loads public.nope, which is not a declared table/);
    const unversioned = { ...customers, version: undefined };
    expect(
      problems(
        file(
          [{ name: 'shop', topics: ['t'], tables: [{ source: 'a.b', table: 'public.customers' }] }],
          [unversioned],
        ),
      ),
    ).toMatch(/must be a merge table with a version column/);
  });

  it('refuses a bad pattern, a source bound twice, and tablelane’s own topics', () => {
    expect(
      problems(
        file([{ name: 'x', topicPattern: '(', tables: [{ source: 'a.b', table: 'public.customers' }] }]),
      ),
    ).toMatch(/not a valid regular expression/);
    const twice = [
      { source: 'a.b', table: 'public.customers' },
      { source: 'a.b', table: 'public.customers' },
    ];
    expect(problems(file([{ name: 'x', topics: ['t'], tables: twice }]))).toMatch(/bound twice/);
    expect(
      problems(
        file([
          {
            name: 'x',
            topics: ['tablelane.changes'],
            tables: [{ source: 'a.b', table: 'public.customers' }],
          },
        ]),
      ),
    ).toMatch(/one of tablelane's own/);
  });

  it('finds the feed of a topic by name or whole-name pattern, and a binding by table then topic', () => {
    const config = parseConfig(
      file([
        {
          name: 'shop',
          topicPattern: 'shop\\.public\\..*',
          tables: [
            { source: 'public.customers', table: 'public.customers' },
            { source: 'legacy-topic', table: 'public.customers' },
          ],
        },
      ]),
      {},
    );
    const feed = feedOfTopic(config.cdc, 'shop.public.customers')!;
    expect(feed.name).toBe('shop');
    expect(feedOfTopic(config.cdc, 'xshop.public.customers')).toBeUndefined();
    expect(bindingOf(feed, { schema: 'public', table: 'customers', topic: 'any' })?.source).toBe(
      'public.customers',
    );
    expect(bindingOf(feed, { topic: 'legacy-topic' })?.source).toBe('legacy-topic');
    expect(bindingOf(feed, { schema: 'public', table: 'other', topic: 'other' })).toBeUndefined();
  });
});

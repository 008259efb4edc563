import { ConfigError, parseConfig } from '@app/config';
import { describe, expect, it } from 'vitest';
import { loadTransforms, parseTransforms } from './change-transforms';
import { ChangeRejected } from './error-codes';
import { prepareChange } from './prepare-change';

const raw = {
  tables: [
    {
      name: 'shop.orders',
      columns: {
        id: 'bigint',
        status: 'text',
        region: 'text',
        label: 'text',
        placed: 'timestamptz',
        paid: 'boolean',
      },
      primaryKey: ['id'],
      transforms: [
        { rename: { state: 'status' } },
        { drop: ['debug'] },
        { cast: { paid: 'boolean', placed: 'timestamptz_from_epoch_ms' } },
        {
          compute: {
            label: { concat: [{ upper: { column: 'region' } }, { value: '-' }, { column: 'status' }] },
          },
        },
        { filter: { column: 'region', notIn: ['test'] } },
      ],
    },
  ],
};
const config = parseConfig(raw);
const transforms = parseTransforms(raw, config);

describe('transforms', () => {
  it('renames, drops, casts and computes before validating against the contract', () => {
    const prepared = prepareChange(
      config,
      {
        table: 'shop.orders',
        op: 'upsert',
        row: { id: 1, state: 'paid', region: 'eu', debug: 'x', paid: 'yes', placed: 1767225600000 },
      },
      transforms,
    );
    expect(prepared).toMatchObject({
      kind: 'route',
      event: {
        table: 'shop.orders',
        op: 'upsert',
        row: {
          id: 1,
          status: 'paid',
          region: 'eu',
          paid: true,
          placed: '2026-01-01T00:00:00.000Z',
          label: 'EU-paid',
        },
      },
    });
  });

  it('drops changes the filter does not keep, and lets deletes without the column through', () => {
    expect(
      prepareChange(
        config,
        { table: 'shop.orders', op: 'upsert', row: { id: 1, region: 'test' } },
        transforms,
      ).kind,
    ).toBe('filtered');
    expect(
      prepareChange(config, { table: 'shop.orders', op: 'delete', key: { id: 1 } }, transforms).kind,
    ).toBe('route');
  });

  it('reports a failed cast as an invalid value of the field', () => {
    try {
      prepareChange(
        config,
        { table: 'shop.orders', op: 'upsert', row: { id: 1, paid: 'maybe' } },
        transforms,
      );
      throw new Error('expected a rejection');
    } catch (error) {
      expect((error as ChangeRejected).issues[0]).toMatchObject({ code: 'INVALID_VALUE', field: 'row.paid' });
    }
  });

  it('refuses transforms that would name a column outside the contract', () => {
    const bad = {
      tables: [
        {
          ...raw.tables[0],
          transforms: [{ rename: { a: 'nope' } }, { compute: { other: { value: 1 } } }, { explode: {} }],
        },
      ],
    };
    expect(() => parseTransforms(bad, config)).toThrow(ConfigError);
    try {
      parseTransforms(bad, config);
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(3);
    }
  });

  it('takes the transforms from the loaded configuration, without reading the file again', () => {
    expect(loadTransforms(config)).toEqual(transforms);
    expect(loadTransforms(parseConfig({ tables: [{ ...raw.tables[0], transforms: undefined }] })).size).toBe(
      0,
    );
  });

  it('names the file the configuration came from when its transforms do not hold', () => {
    const bad = parseConfig(
      { tables: [{ ...raw.tables[0], transforms: [{ rename: { a: 'nope' } }] }] },
      {},
      '/etc/tablelane/tablelane.yaml',
    );
    expect(() => loadTransforms(bad)).toThrow(
      'invalid tablelane configuration in /etc/tablelane/tablelane.yaml:\n  - table "shop.orders": transforms[0].rename: nope is not a column of shop.orders',
    );
  });
});

import { parseConfig, type TableContract } from '@app/config';
import { describe, expect, it } from 'vitest';
import { legacyStateTableName, stateTableName, type StateTableKind } from './state-tables';

const contract = (name: string): TableContract =>
  parseConfig({ tables: [{ name, columns: { id: 'bigint' }, primaryKey: ['id'] }] }).tables[0]!;
const KINDS: StateTableKind[] = ['checkpoint', 'tombstone', 'snapshot', 'snapshotRun'];

describe('stateTableName', () => {
  it('keeps the name existing deployments use for names that cannot collide', () => {
    expect(stateTableName(contract('public.sales'), 'checkpoint')).toBe('public__sales__ckpt');
    expect(stateTableName(contract('public.sales'), 'tombstone')).toBe('public__sales__tomb');
    expect(stateTableName(contract('public.sales'), 'snapshot')).toBe('public__sales__snap');
    expect(stateTableName(contract('public.sales'), 'snapshotRun')).toBe('public__sales__srun');
    const long = contract(`analytics_warehouse_schema.${'very_long_table_name_'.repeat(2)}x`);
    expect(stateTableName(long, 'checkpoint')).toBe(legacyStateTableName(long, 'checkpoint'));
    expect(stateTableName(long, 'checkpoint')).toHaveLength(63);
  });

  it('gives `sales__eu.orders` and `sales.eu__orders` different tables (they used to share one)', () => {
    const a = contract('sales__eu.orders');
    const b = contract('sales.eu__orders');
    expect(legacyStateTableName(a, 'checkpoint')).toBe(legacyStateTableName(b, 'checkpoint'));
    for (const kind of KINDS) expect(stateTableName(a, kind)).not.toBe(stateTableName(b, kind));
    expect(stateTableName(a, 'checkpoint')).toMatch(/^sales__eu__orders___[0-9a-f]{12}__ckpt$/);
  });

  it('tells apart a trailing underscore of the schema from a leading one of the table', () => {
    expect(stateTableName(contract('a_.b'), 'checkpoint')).not.toBe(
      stateTableName(contract('a._b'), 'checkpoint'),
    );
  });

  it('is injective and within 63 characters over names built to collide', () => {
    const parts = [
      'a',
      'a_',
      '_a',
      'a__b',
      'b',
      '_',
      '__',
      'x'.repeat(40),
      `${'y'.repeat(44)}_`,
      'eu__orders',
    ];
    const seen = new Map<string, string>();
    for (const schema of parts.filter((p) => /^[a-z_]/.test(p)))
      for (const table of parts) {
        const name = `${schema}.${table}`;
        for (const kind of KINDS) {
          const state = stateTableName(contract(name), kind);
          expect(state.length).toBeLessThanOrEqual(63);
          expect(state).toMatch(/^[a-z_][a-z0-9_]*$/);
          expect(seen.get(state) ?? name).toBe(name);
          seen.set(state, name);
        }
      }
    expect(seen.size).toBe(KINDS.length * parts.length * parts.filter((p) => /^[a-z_]/.test(p)).length);
  });
});

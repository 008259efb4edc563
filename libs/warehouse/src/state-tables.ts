import { createHash } from 'node:crypto';
import type { TableContract } from '@app/config';

/**
 * `snapshot`: the keys an open snapshot run has seen (a full refresh deletes the rest);
 * `snapshotRun`: the table's snapshot runs and where each stands.
 */
export type StateTableKind = 'checkpoint' | 'tombstone' | 'snapshot' | 'snapshotRun';
/** The state tables older releases created, and so the only ones a rename migrates. */
export type LegacyStateTableKind = 'checkpoint' | 'tombstone';

/** PostgreSQL's identifier limit; Redshift allows 127 bytes, and names here are ASCII. */
const MAX_NAME = 63;
// All of one length, so every kind of one contract keeps the same readable prefix.
const SUFFIX: Record<StateTableKind, string> = {
  checkpoint: '__ckpt',
  tombstone: '__tomb',
  snapshot: '__snap',
  snapshotRun: '__srun',
};

/**
 * Names of tablelane's own per-target tables. Each target table gets its own checkpoint,
 * tombstone and snapshot tables, so two lanes never write the same table: on Redshift, two concurrent
 * transactions that read and write one shared table are exactly what raises error 1023.
 *
 * The mapping is injective. `<schema>__<table>` alone is not (`sales__eu.orders` and
 * `sales.eu__orders`, or `a_.b` and `a._b`, give one name), so it is only used where it can be
 * read back unambiguously: the schema and the table contain no `__`, the schema does not end
 * and the table does not start with `_`; the joined name then holds exactly one `__`. Every
 * other contract gets `<readable prefix>___<hash of the exact schema.table><suffix>`: its
 * `___` cannot occur in an unambiguous name, nor at that position in a long legacy name.
 * Unambiguous names keep exactly the form they always had, so existing deployments keep
 * their tables.
 */
export function stateTableName(contract: TableContract, kind: StateTableKind): string {
  if (!isUnambiguous(contract)) return hashedName(contract, kind);
  return legacyStateTableName(contract, kind);
}

/**
 * The name releases before injective naming gave this contract's state table. Differs from
 * stateTableName only for ambiguous contracts, whose legacy tables prepareState migrates.
 */
export function legacyStateTableName(contract: TableContract, kind: StateTableKind): string {
  const base = `${contract.schema}__${contract.table}`;
  const suffix = SUFFIX[kind];
  if (base.length + suffix.length <= MAX_NAME) return `${base}${suffix}`;
  // Long names keep a readable prefix and a hash of the full name so they stay unique.
  const hash = createHash('sha1').update(contract.name).digest('hex').slice(0, 10);
  return `${base.slice(0, MAX_NAME - suffix.length - 11)}_${hash}${suffix}`;
}

function isUnambiguous({ schema, table }: TableContract): boolean {
  return !schema.includes('__') && !table.includes('__') && !schema.endsWith('_') && !table.startsWith('_');
}

function hashedName(contract: TableContract, kind: StateTableKind): string {
  const suffix = SUFFIX[kind];
  // 48 bits of the exact `schema.table`: two contracts share a name only on a hash collision.
  const hash = createHash('sha256').update(`${contract.schema}.${contract.table}`).digest('hex').slice(0, 12);
  const prefix = `${contract.schema}__${contract.table}`.slice(0, MAX_NAME - suffix.length - hash.length - 3);
  return `${prefix}___${hash}${suffix}`;
}

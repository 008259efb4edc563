import { createHash } from 'node:crypto';
import type { TableContract } from '@app/config';

/**
 * Names of tablelane's own per-target tables. Each target table gets its own checkpoint and
 * tombstone tables, so two lanes never write the same table: on Redshift, two concurrent
 * transactions that read and write one shared table are exactly what raises error 1023.
 */
export function stateTableName(contract: TableContract, kind: 'checkpoint' | 'tombstone'): string {
  const base = `${contract.schema}__${contract.table}`;
  const suffix = kind === 'checkpoint' ? '__ckpt' : '__tomb';
  if (base.length + suffix.length <= 63) return `${base}${suffix}`;
  // Long names keep a readable prefix and a hash of the full name so they stay unique.
  const hash = createHash('sha1').update(contract.name).digest('hex').slice(0, 10);
  return `${base.slice(0, 63 - suffix.length - 11)}_${hash}${suffix}`;
}

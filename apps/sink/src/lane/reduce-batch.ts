import type { TableContract } from '@app/config';
import { canonicalKeyValue, compareVersions } from '@app/contracts';
import type { StagedRow } from '@app/warehouse';
import type { BufferedChange } from './buffered-change';

/**
 * Reduces one table's buffered changes (in lane order) to what the warehouse must apply.
 * Merge tables keep one change per primary key: the highest version when the table has a
 * version column, otherwise the last in lane order (ties on version also go to the later).
 * Append tables keep every change.
 *
 * Keys are grouped as SQL compares them (numeric `1` and `1.0`, timestamptz `Z` and `+00:00`
 * are one key), so a batch never stages one key twice (a primary-key violation on PostgreSQL,
 * a duplicate row on Redshift); the winner's values are staged as the producer wrote them.
 */
export function reduceBatch(contract: TableContract, changes: BufferedChange[]): StagedRow[] {
  const toRow = (c: BufferedChange): StagedRow => ({
    op: c.change.op === 'upsert' ? 'u' : 'd',
    values: contract.columns.map((col) => c.change.values[col.name] ?? null),
  });
  if (contract.mode === 'append') return changes.map(toRow);

  const keyColumns = contract.primaryKey.map((name) => contract.columns.find((c) => c.name === name)!);
  const versionType = contract.version
    ? contract.columns.find((c) => c.name === contract.version)!.type
    : undefined;
  const winners = new Map<string, BufferedChange>();
  for (const candidate of changes) {
    const key = JSON.stringify(
      keyColumns.map((col) => canonicalKeyValue(col.type, candidate.change.values[col.name] ?? null)),
    );
    const current = winners.get(key);
    if (
      !current ||
      !versionType ||
      compareVersions(versionType, candidate.change.version!, current.change.version!) >= 0
    ) {
      winners.set(key, candidate);
    }
  }
  return [...winners.values()].map(toRow);
}

import type { ColumnContract, ColumnType, TableContract } from '@app/config';
import { canonicalKeyValue, compareVersions, isSnapshotOp, type CanonicalChange } from '@app/contracts';
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
 *
 * The CDC shapes (see CanonicalChange):
 * - a truncate is staged as one `t` row that the merge applies first; what came before it in
 *   the batch is gone with the table: an upsert becomes a delete at the truncate's version
 *   (the key existed when the table was emptied, so a stale change to it must not come back),
 *   a delete stays. Without a version column nothing before it needs staging at all;
 * - a move (movedFrom) is an upsert of the new key and a delete of the old one at the move's
 *   version, each competing for its key like any change;
 * - unchanged columns take their value from the batch where it has it: the key's winner so
 *   far (the old key's, for a move) when the new row replaces it, null if that was a delete
 *   or a truncate emptied the table. Otherwise the row is staged with its kept columns, and
 *   the merge fills them from the target row before it changes anything.
 *
 * Snapshot markers are no rows: snapshotStep (snapshot-runs.ts) reads them.
 */
export function reduceBatch(contract: TableContract, changes: readonly BufferedChange[]): StagedRow[] {
  // Snapshot markers stage nothing (snapshotStep reads them); a snapshot's rows are upserts.
  const rowChanges = changes.filter(({ change }) => !isSnapshotOp(change.op));
  if (contract.mode === 'append')
    return rowChanges.map(({ change }) => ({ op: 'u', values: rowValues(contract, change) }));
  const batch = new KeyedBatch(contract);
  for (const { change } of rowChanges) batch.apply(change);
  return batch.rows();
}

const rowValues = (contract: TableContract, change: CanonicalChange) =>
  contract.columns.map((col) => change.values[col.name] ?? null);

/**
 * The change that holds one key so far and its version; staged as `row`, or, for a change
 * staged as it came (most are), built from `change` only if it is still the winner at the end.
 */
interface Winner {
  version: string | undefined;
  change?: CanonicalChange;
  row?: StagedRow;
}

/** Key values in primary-key order, as staged. */
type Key = (string | null)[];

class KeyedBatch {
  private readonly keys: { column: ColumnContract; index: number }[];
  private readonly versionType: ColumnType | undefined;
  private readonly winners = new Map<string, Winner>();
  /** The batch's last truncate, as staged; every change before it is already reduced away. */
  private truncate: StagedRow | undefined;

  constructor(private readonly contract: TableContract) {
    this.keys = contract.primaryKey.map((name) => {
      const index = contract.columns.findIndex((c) => c.name === name);
      return { column: contract.columns[index]!, index };
    });
    this.versionType = contract.columns.find((c) => c.name === contract.version)?.type;
  }

  apply(change: CanonicalChange): void {
    if (change.op === 'truncate') return this.truncateAt(change.version);
    const { version } = change;
    const own = this.keys.map((k) => change.values[k.column.name] ?? null);
    const ownText = this.text(own);
    if (!change.unchanged && !change.movedFrom) {
      if (this.wins(version, this.winners.get(ownText))) this.winners.set(ownText, { version, change });
      return;
    }
    // The state the unchanged columns come from: the old key's for a move, else the row's own.
    const from = change.movedFrom ? this.keys.map((k) => change.movedFrom![k.column.name] ?? null) : own;
    const fromText = change.movedFrom ? this.text(from) : ownText;
    const source = this.winners.get(fromText);
    if (change.movedFrom && this.wins(version, source))
      this.winners.set(fromText, { version, row: this.deleted(from, version) });
    if (!this.wins(version, this.winners.get(ownText))) return;
    const row: StagedRow = { op: 'u', values: rowValues(this.contract, change) };
    const filled = change.unchanged ? this.fill(row, own, change.unchanged, from, source) : row;
    this.winners.set(ownText, { version, row: filled });
  }

  rows(): StagedRow[] {
    const winners = [...this.winners.values()].map((w) => this.staged(w));
    return this.truncate ? [this.truncate, ...winners] : winners;
  }

  private truncateAt(version: string | undefined): void {
    if (!this.versionType) this.winners.clear();
    for (const [key, winner] of this.winners) {
      const row = this.staged(winner);
      if (row.op === 'u') this.winners.set(key, { version, row: this.deleted(this.keyOf(row), version) });
    }
    this.truncate = { op: 't', values: this.versionOnly(version) };
  }

  private staged(winner: Winner): StagedRow {
    const { change } = winner;
    winner.row ??= { op: change!.op === 'upsert' ? 'u' : 'd', values: rowValues(this.contract, change!) };
    return winner.row;
  }

  /**
   * Resolves the unchanged columns of an upsert that wins its key. `source` is the batch's
   * winner for `from` (the key the values come from) before this change; when it still waits
   * for target values itself, so does this row, from the same target row.
   */
  private fill(row: StagedRow, own: Key, unchanged: string[], from: Key, source?: Winner): StagedRow {
    const kept = this.contract.columns.map((c) => unchanged.includes(c.name));
    // No earlier state in the batch: the target holds the values, unless a truncate emptied it.
    if (!source) return this.truncate ? row : this.keeping(row, own, kept, from);
    const before = this.staged(source);
    // The row was deleted before it came back: what the source did not log is gone.
    if (before.op === 'd') return row;
    const values = [...row.values];
    const pending = kept.map((k, i) => {
      if (!k || before.keep?.columns[i]) return k;
      values[i] = before.values[i] ?? null;
      return false;
    });
    const sourceFrom = before.keep?.from.some((v) => v !== null) ? before.keep.from : from;
    return this.keeping({ op: 'u', values }, own, pending, sourceFrom);
  }

  /** The row with the columns the merge fills from the target row at `from`, if any. */
  private keeping(row: StagedRow, own: Key, columns: boolean[], from: Key): StagedRow {
    if (!columns.some(Boolean)) return row;
    const fromOwn = this.text(from) === this.text(own);
    return { ...row, keep: { columns, from: fromOwn ? from.map(() => null) : from } };
  }

  private wins(version: string | undefined, current: Winner | undefined): boolean {
    return (
      !current || !this.versionType || compareVersions(this.versionType, version!, current.version!) >= 0
    );
  }

  /** A staged delete of `key`: the key and the version, nothing else. */
  private deleted(key: Key, version: string | undefined): StagedRow {
    const values = this.versionOnly(version);
    this.keys.forEach((k, i) => (values[k.index] = key[i] ?? null));
    return { op: 'd', values };
  }

  private versionOnly(version: string | undefined): (string | null)[] {
    return this.contract.columns.map((c) => (c.name === this.contract.version ? (version ?? null) : null));
  }

  private keyOf(row: StagedRow): Key {
    return this.keys.map((k) => row.values[k.index] ?? null);
  }

  /** One text per SQL key (canonicalKeyValue): the reduction's map key. */
  private text(key: Key): string {
    return JSON.stringify(this.keys.map((k, i) => canonicalKeyValue(k.column.type, key[i] ?? null)));
  }
}

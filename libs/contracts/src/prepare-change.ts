import { findTable, type TablelaneConfig } from '@app/config';
import { isSnapshotOp, type CanonicalChange, type ChangeEvent } from './change-event';
import { applyTransforms, NO_TRANSFORMS, type TransformsByTable } from './change-transforms';
import { ChangeRejected } from './error-codes';
import { validateChange } from './validate-change';
import { DEFAULT_VALUE_RULES, type WarehouseValueRules } from './warehouse-value-rules';

/**
 * What becomes of one incoming change: routed (with the event in the documented JSON form,
 * after transforms, and its canonical values), or dropped by a table's filter.
 */
export type PreparedChange =
  | { kind: 'route'; event: ChangeEvent; change: CanonicalChange }
  | { kind: 'filtered'; table: string; reason: string };

/**
 * Transforms and validates one change event: the same decision wherever a change is checked
 * (SDK, HTTP gateway, router), so what a producer was told is valid is what the router
 * routes. Throws ChangeRejected with every issue found. `rules`: those of the configured
 * warehouse (PostgreSQL's when not given).
 *
 * Snapshot markers and rows (`snapshot-*` ops, a `snapshot` run) are refused: `tablelane
 * snapshot` writes them directly onto the table's lane, where their order is the refresh's.
 * Through the ingest topic they would reach the lane out of that order.
 */
export function prepareChange(
  config: TablelaneConfig,
  raw: unknown,
  transforms: TransformsByTable = NO_TRANSFORMS,
  rules: WarehouseValueRules = DEFAULT_VALUE_RULES,
): PreparedChange {
  refuseSnapshotEvents(raw);
  // Validate the envelope first so an unknown table or op is reported as such, not as a
  // transform failure.
  const contract =
    typeof raw === 'object' && raw !== null && 'table' in raw
      ? findTable(config, String(raw.table))
      : undefined;
  const steps = contract ? transforms.get(contract.name) : undefined;
  let input = raw;
  if (contract && steps && steps.length > 0 && (raw as Record<string, unknown>).op !== undefined) {
    const outcome = applyTransforms(steps, raw as Record<string, unknown>, contract);
    if (outcome.kind === 'filtered')
      return { kind: 'filtered', table: contract.name, reason: outcome.reason };
    input = outcome.event;
  }
  const change = validateChange(config, input, rules);
  return { kind: 'route', event: jsonForm(input as Record<string, unknown>, change), change };
}

function refuseSnapshotEvents(raw: unknown): void {
  if (typeof raw !== 'object' || raw === null) return;
  const { op, snapshot } = raw as Record<string, unknown>;
  const field = isSnapshotOp(op)
    ? 'op'
    : snapshot !== undefined && snapshot !== null
      ? 'snapshot'
      : undefined;
  if (!field) return;
  throw new ChangeRejected([
    {
      code: 'INVALID_OP',
      field,
      message:
        'snapshot markers and rows are written by `tablelane snapshot` directly onto the lane; ' +
        'producers cannot send them (see docs/snapshots.md)',
    },
  ]);
}

/**
 * The documented JSON form, keeping the producer's own JSON values (row, key, movedFrom); other
 * fields are dropped. `unchanged` is written as validated: deduplicated, in contract order.
 */
function jsonForm(raw: Record<string, unknown>, change: CanonicalChange): ChangeEvent {
  const tail: { version?: string | number; id?: string; ts?: number } = {};
  if (typeof raw.version === 'string' || typeof raw.version === 'number') tail.version = raw.version;
  if (change.id !== undefined) tail.id = change.id;
  if (change.ts !== undefined) tail.ts = change.ts;
  switch (change.op) {
    case 'upsert':
      return {
        table: change.table,
        op: 'upsert',
        row: raw.row as Record<string, unknown>,
        ...(change.unchanged ? { unchanged: change.unchanged } : {}),
        ...(change.movedFrom ? { movedFrom: raw.movedFrom as Record<string, unknown> } : {}),
        ...tail,
      };
    case 'delete':
      return { table: change.table, op: 'delete', key: raw.key as Record<string, unknown>, ...tail };
    case 'truncate':
      return { table: change.table, op: 'truncate', ...tail };
    default:
      // refuseSnapshotEvents let none through.
      throw new Error(`a ${change.op} marker has no producer form`);
  }
}

/**
 * The Kafka key of a change on the ingest topic: table and primary key, so changes to one
 * row from one producer land on one ingest partition and keep their order. Append tables
 * (no key), truncates (every key) and filtered changes are keyed by table alone.
 */
export function ingestKey(config: TablelaneConfig, prepared: PreparedChange): string {
  if (prepared.kind === 'filtered') return prepared.table;
  const { table, op, values } = prepared.change;
  if (op !== 'upsert' && op !== 'delete') return table;
  const contract = findTable(config, table)!;
  return `${table}:${JSON.stringify(contract.primaryKey.map((column) => values[column] ?? null))}`;
}

import { findTable, type ColumnContract, type TableContract, type TablelaneConfig } from '@app/config';
import { parseBoundedJson } from './bounded-json';
import { canonicalKeyValue } from './canonical-key';
import { isSnapshotOp, type CanonicalChange, type CanonicalOp, type SnapshotOp } from './change-event';
import { coerceValue } from './coerce-value';
import { ChangeRejected, type ChangeIssue } from './error-codes';
import { DEFAULT_VALUE_RULES, type WarehouseValueRules } from './warehouse-value-rules';

type Raw = Record<string, unknown>;
type Values = Record<string, string | null>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
/** JSON null and an absent field mean the same: not given. */
const given = (v: unknown) => v !== undefined && v !== null;

/**
 * Parses the JSON form of a change event; throws ChangeRejected with every issue found.
 * `rules`: those of the configured warehouse, so what is accepted is what it loads.
 */
export function parseChangeJson(
  config: TablelaneConfig,
  text: string | Buffer,
  rules: WarehouseValueRules = DEFAULT_VALUE_RULES,
): CanonicalChange {
  return validateChange(config, parseBoundedJson(text), rules);
}

/**
 * Checks a change event against its table contract and coerces every value to its canonical
 * text. The contract is the only source of column names, so a change can never name a
 * column (and so an identifier) that the configuration did not declare. Values are checked
 * against `rules`, those of the configured warehouse (PostgreSQL's when not given): a value
 * accepted here loads there.
 */
export function validateChange(
  config: TablelaneConfig,
  raw: unknown,
  rules: WarehouseValueRules = DEFAULT_VALUE_RULES,
): CanonicalChange {
  if (!isObject(raw)) {
    throw new ChangeRejected([
      { code: 'NOT_AN_OBJECT', message: 'a change event must be a JSON object with table and op' },
    ]);
  }
  const contract = typeof raw.table === 'string' ? findTable(config, raw.table) : undefined;
  if (!contract) {
    throw new ChangeRejected([
      {
        code: 'UNKNOWN_TABLE',
        field: 'table',
        message: `table ${JSON.stringify(raw.table)} is not declared in the table contracts`,
      },
    ]);
  }
  const op = opOf(contract, raw);
  const issues: ChangeIssue[] = [];
  if (isSnapshotOp(op)) return snapshotMarker(contract, op, raw);
  if (op === 'truncate') {
    // A truncate carries no row: it is ordered by the event's version alone.
    const version = versionOf(contract, raw.version, undefined, issues, rules);
    if (issues.length > 0) throw new ChangeRejected(issues);
    return withTail({ table: contract.name, op, values: {} }, raw, version);
  }
  const field = op === 'upsert' ? 'row' : 'key';
  const input = raw[field];
  if (!isObject(input)) {
    throw new ChangeRejected([
      {
        code: 'NOT_AN_OBJECT',
        field,
        message: `a${op === 'upsert' ? 'n upsert' : ' delete'} needs "${field}" as a JSON object`,
      },
    ]);
  }

  const unchanged = op === 'upsert' ? unchangedOf(contract, raw.unchanged, issues) : undefined;
  const values = readColumns(contract, field, input, new Set(unchanged), issues, rules);
  const movedFrom = op === 'upsert' ? movedFromOf(contract, raw.movedFrom, values, issues, rules) : undefined;
  const snapshot = op === 'upsert' && given(raw.snapshot) ? runOf(raw.snapshot, issues) : undefined;
  const version = versionOf(contract, raw.version, values, issues, rules);
  if (issues.length > 0) throw new ChangeRejected(issues);
  const change = withTail({ table: contract.name, op, values }, raw, version);
  if (unchanged && unchanged.length > 0) change.unchanged = unchanged;
  if (movedFrom) change.movedFrom = movedFrom;
  if (snapshot !== undefined) change.snapshot = snapshot;
  return change;
}

/** The longest run id a marker or snapshot row may carry: the state tables' run column. */
const MAX_SNAPSHOT_RUN_LENGTH = 200;
/** Letters, digits and `_ . : @ + -`: `tablelane snapshot`'s ids (`public.sales@20261201T100000Z-ab12cd`). */
const RUN_PATTERN = /^[A-Za-z0-9_.:@+-]+$/;

/**
 * A snapshot marker: the run it belongs to, and end's row count or begin's expected total. It
 * carries nothing else (opOf refused a row or key): no version, since a marker changes no row.
 */
function snapshotMarker(contract: TableContract, op: SnapshotOp, raw: Raw): CanonicalChange {
  const issues: ChangeIssue[] = [];
  const run = runOf(raw.snapshot, issues);
  const rows = op === 'snapshot-end' ? countOf('rows', raw.rows, true, issues) : undefined;
  const total = op === 'snapshot-begin' ? countOf('total', raw.total, false, issues) : undefined;
  if (issues.length > 0) throw new ChangeRejected(issues);
  const change = withTail({ table: contract.name, op, values: {}, snapshot: run }, raw, undefined);
  if (rows !== undefined) change.rows = rows;
  if (total !== undefined) change.total = total;
  return change;
}

function runOf(raw: unknown, issues: ChangeIssue[]): string {
  if (typeof raw === 'string' && raw.length <= MAX_SNAPSHOT_RUN_LENGTH && RUN_PATTERN.test(raw)) return raw;
  issues.push({
    code: 'INVALID_VALUE',
    field: 'snapshot',
    message:
      `snapshot must name the run: a non-empty string of at most ${MAX_SNAPSHOT_RUN_LENGTH} letters, ` +
      `digits and _ . : @ + -, not ${JSON.stringify(raw)?.slice(0, 80)}`,
  });
  return '';
}

/** A non-negative whole number of rows; `required` for end's count, optional for begin's total. */
function countOf(field: string, raw: unknown, required: boolean, issues: ChangeIssue[]): number | undefined {
  if (!given(raw) && !required) return undefined;
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  issues.push({
    code: 'INVALID_VALUE',
    field,
    message: `${field} must be a whole number of rows of at least 0, not ${JSON.stringify(raw)}`,
  });
  return undefined;
}

/** The operation, if the table takes it, and only with the fields that operation carries. */
function opOf(contract: TableContract, raw: Raw): CanonicalOp {
  const op = raw.op;
  const refuse = (field: string, message: string) =>
    new ChangeRejected([{ code: 'INVALID_OP', field, message }]);
  if (op !== 'upsert' && op !== 'delete' && op !== 'truncate' && !isSnapshotOp(op))
    throw refuse('op', `op must be "upsert", "delete" or "truncate", not ${JSON.stringify(op)}`);
  if (contract.mode === 'append') {
    if (op !== 'upsert') throw refuse('op', `table ${contract.name} is append-only; it takes upserts only`);
    // Appended rows replace nothing, so there is no earlier row to keep values from or to move,
    // and no full refresh: a snapshot refreshes merge tables only.
    const shaped = ['unchanged', 'movedFrom', 'snapshot'].find((f) => given(raw[f]));
    if (shaped) throw refuse(shaped, `table ${contract.name} is append-only; its upserts carry no ${shaped}`);
    return op;
  }
  // A truncate given a row or key would empty the whole table where its producer meant one row;
  // a marker given one would be read as a row the refresh holds, or not.
  const foreign =
    op === 'upsert'
      ? []
      : op === 'delete'
        ? ['unchanged', 'movedFrom', 'snapshot']
        : ['row', 'key', 'unchanged', 'movedFrom', ...(op === 'truncate' ? ['snapshot'] : [])];
  const extra = foreign.find((f) => given(raw[f]));
  if (extra)
    throw refuse(
      extra,
      op === 'truncate'
        ? `a truncate empties the whole table ${contract.name}; it carries no ${extra}`
        : op === 'delete'
          ? `a delete carries no ${extra}; only upserts do`
          : `a ${op} marker carries no ${extra}: the rows of a snapshot are upserts of their own`,
    );
  return op;
}

/**
 * The non-key columns the warehouse keeps, in contract order. Keys and the version column
 * always travel with the row: the merge matches and orders on them.
 */
function unchangedOf(contract: TableContract, raw: unknown, issues: ChangeIssue[]): string[] | undefined {
  if (!given(raw)) return undefined;
  if (!Array.isArray(raw) || raw.some((name) => typeof name !== 'string')) {
    issues.push({
      code: 'INVALID_VALUE',
      field: 'unchanged',
      message: `unchanged must be a list of column names of ${contract.name}`,
    });
    return undefined;
  }
  const names = new Set(raw as string[]);
  [...names].forEach((name, index) => {
    const field = `unchanged[${index}]`;
    if (!contract.columns.some((c) => c.name === name))
      issues.push({
        code: 'UNKNOWN_COLUMN',
        field,
        message: `unchanged names ${JSON.stringify(name)}, not a column of ${contract.name}`,
      });
    else if (contract.primaryKey.includes(name))
      issues.push({
        code: 'INVALID_VALUE',
        field,
        message: `unchanged names ${name}, a primary key column of ${contract.name}: a key is always sent`,
      });
    else if (name === contract.version)
      issues.push({
        code: 'INVALID_VERSION',
        field,
        message: `unchanged names ${name}, the version column of ${contract.name}: a version is always sent`,
      });
  });
  return contract.columns.filter((c) => names.has(c.name)).map((c) => c.name);
}

/**
 * The previous primary key of a moved row, coerced like a delete's key. A move to the key the
 * row already has is no move: it is dropped, and the change is a plain upsert.
 */
function movedFromOf(
  contract: TableContract,
  raw: unknown,
  values: Values,
  issues: ChangeIssue[],
  rules: WarehouseValueRules,
): Values | undefined {
  if (!given(raw)) return undefined;
  if (!isObject(raw)) {
    issues.push({
      code: 'NOT_AN_OBJECT',
      field: 'movedFrom',
      message: `movedFrom must be a JSON object: the primary key the row had before`,
    });
    return undefined;
  }
  const from = readColumns(contract, 'movedFrom', raw, new Set(), issues, rules);
  const keys = keyColumns(contract);
  const same = keys.every(
    (col) =>
      canonicalKeyValue(col.type, from[col.name] ?? null) ===
      canonicalKeyValue(col.type, values[col.name] ?? null),
  );
  return same ? undefined : from;
}

/**
 * Coerces the columns an object carries: every column for a row (those in `unchanged` are
 * null, whatever the row says), the key columns for a delete's key or a movedFrom. Every key
 * column must be set.
 */
function readColumns(
  contract: TableContract,
  field: 'row' | 'key' | 'movedFrom',
  input: Raw,
  unchanged: Set<string>,
  issues: ChangeIssue[],
  rules: WarehouseValueRules,
): Values {
  const wanted = field === 'row' ? contract.columns : keyColumns(contract);
  for (const name of Object.keys(input)) {
    if (!wanted.some((c) => c.name === name)) {
      issues.push({
        code: 'UNKNOWN_COLUMN',
        field: `${field}.${name}`,
        message: `${field}.${name} is not ${field === 'row' ? 'a column' : 'a key column'} of ${contract.name}`,
      });
    }
  }
  const values: Values = {};
  for (const column of wanted) {
    if (unchanged.has(column.name)) {
      values[column.name] = null;
      continue;
    }
    const coerced = coerceValue(column.type, input[column.name], rules);
    if (!coerced.ok) {
      issues.push({
        code: 'INVALID_VALUE',
        field: `${field}.${column.name}`,
        message: `${field}.${column.name} ${coerced.reason}`,
      });
    } else {
      values[column.name] = coerced.value;
    }
  }
  for (const key of contract.primaryKey) {
    if (!given(input[key])) {
      issues.push({
        code: 'MISSING_KEY',
        field: `${field}.${key}`,
        message: `${field}.${key} is part of the primary key of ${contract.name} and must be set`,
      });
    }
  }
  return values;
}

function keyColumns(contract: TableContract): ColumnContract[] {
  return contract.columns.filter((c) => contract.primaryKey.includes(c.name));
}

/** The change with its version, id and event time, when given. */
function withTail(change: CanonicalChange, raw: Raw, version: string | undefined): CanonicalChange {
  if (version !== undefined) change.version = version;
  if (typeof raw.id === 'string') change.id = raw.id;
  if (typeof raw.ts === 'number' && Number.isFinite(raw.ts)) change.ts = raw.ts;
  return change;
}

/**
 * The canonical version, when the table has a version column: the event's, else the row's.
 * `values` is undefined for a change without a row (a truncate), which needs the event's.
 */
function versionOf(
  contract: TableContract,
  eventVersion: unknown,
  values: Values | undefined,
  issues: ChangeIssue[],
  rules: WarehouseValueRules,
): string | undefined {
  if (!contract.version) return undefined;
  const column = contract.columns.find((c) => c.name === contract.version)!;
  if (given(eventVersion)) {
    const coerced = coerceValue(column.type, eventVersion, rules);
    if (!coerced.ok) {
      issues.push({ code: 'INVALID_VERSION', field: 'version', message: `version ${coerced.reason}` });
      return undefined;
    }
    // The event's version is authoritative: the row's version column carries it into the table.
    if (values) values[column.name] = coerced.value;
    return coerced.value ?? undefined;
  }
  const fromRow = values?.[column.name];
  if (fromRow === undefined || fromRow === null) {
    issues.push({
      code: 'INVALID_VERSION',
      field: 'version',
      message: values
        ? `table ${contract.name} orders changes by ${column.name}: set "version" on the event or ${column.name} in the row`
        : `table ${contract.name} orders changes by ${column.name}: a truncate needs "version" on the event`,
    });
    return undefined;
  }
  return fromRow;
}

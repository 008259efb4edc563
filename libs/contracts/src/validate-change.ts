import { findTable, type TableContract, type TablelaneConfig } from '@app/config';
import { parseBoundedJson } from './bounded-json';
import type { CanonicalChange } from './change-event';
import { coerceValue } from './coerce-value';
import { ChangeRejected, type ChangeIssue } from './error-codes';
import { DEFAULT_VALUE_RULES, type WarehouseValueRules } from './warehouse-value-rules';

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  const issues: ChangeIssue[] = [];
  const op = raw.op;
  if (op !== 'upsert' && op !== 'delete') {
    throw new ChangeRejected([
      {
        code: 'INVALID_OP',
        field: 'op',
        message: `op must be "upsert" or "delete", not ${JSON.stringify(op)}`,
      },
    ]);
  }
  if (contract.mode === 'append' && op === 'delete') {
    throw new ChangeRejected([
      {
        code: 'INVALID_OP',
        field: 'op',
        message: `table ${contract.name} is append-only; it takes upserts only`,
      },
    ]);
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

  const values: Record<string, string | null> = {};
  const wanted =
    op === 'upsert' ? contract.columns : contract.columns.filter((c) => contract.primaryKey.includes(c.name));
  for (const name of Object.keys(input)) {
    if (!wanted.some((c) => c.name === name)) {
      issues.push({
        code: 'UNKNOWN_COLUMN',
        field: `${field}.${name}`,
        message: `${field}.${name} is not ${op === 'upsert' ? 'a column' : 'a key column'} of ${contract.name}`,
      });
    }
  }
  for (const column of wanted) {
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
    if (input[key] === undefined || input[key] === null) {
      issues.push({
        code: 'MISSING_KEY',
        field: `${field}.${key}`,
        message: `${field}.${key} is part of the primary key of ${contract.name} and must be set`,
      });
    }
  }

  const version = versionOf(contract, raw.version, values, issues, rules);
  if (issues.length > 0) throw new ChangeRejected(issues);
  const change: CanonicalChange = { table: contract.name, op, values };
  if (version !== undefined) change.version = version;
  if (typeof raw.id === 'string') change.id = raw.id;
  if (typeof raw.ts === 'number' && Number.isFinite(raw.ts)) change.ts = raw.ts;
  return change;
}

function versionOf(
  contract: TableContract,
  eventVersion: unknown,
  values: Record<string, string | null>,
  issues: ChangeIssue[],
  rules: WarehouseValueRules,
): string | undefined {
  if (!contract.version) return undefined;
  const column = contract.columns.find((c) => c.name === contract.version)!;
  if (eventVersion !== undefined && eventVersion !== null) {
    const coerced = coerceValue(column.type, eventVersion, rules);
    if (!coerced.ok) {
      issues.push({ code: 'INVALID_VERSION', field: 'version', message: `version ${coerced.reason}` });
      return undefined;
    }
    // The event's version is authoritative: the row's version column carries it into the table.
    values[column.name] = coerced.value;
    return coerced.value ?? undefined;
  }
  const fromRow = values[column.name];
  if (fromRow === undefined || fromRow === null) {
    issues.push({
      code: 'INVALID_VERSION',
      field: 'version',
      message: `table ${contract.name} orders changes by ${column.name}: set "version" on the event or ${column.name} in the row`,
    });
    return undefined;
  }
  return fromRow;
}

import { ConfigError, findTable, type TableContract, type TablelaneConfig } from '@app/config';
import { ChangeRejected } from './error-codes';

type Scalar = string | number | boolean | null;

/** A value computed from the fields of one change. */
export type ValueExpr =
  | { column: string }
  | { value: Scalar }
  | { concat: ValueExpr[] }
  | { lower: ValueExpr }
  | { upper: ValueExpr }
  | { coalesce: ValueExpr[] }
  | { eventTime: true };

export type CastTarget = 'string' | 'number' | 'boolean' | 'json' | 'timestamptz_from_epoch_ms';
const CAST_TARGETS: readonly CastTarget[] = [
  'string',
  'number',
  'boolean',
  'json',
  'timestamptz_from_epoch_ms',
];

export type FilterTest =
  { equals: Scalar } | { notEquals: Scalar } | { in: Scalar[] } | { notIn: Scalar[] } | { isNull: boolean };

/** One step of a table's transform list, applied in the order written. */
export type TransformStep =
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'drop'; fields: string[] }
  | { kind: 'cast'; field: string; to: CastTarget }
  | { kind: 'compute'; column: string; expr: ValueExpr }
  | { kind: 'filter'; column: string; test: FilterTest };

/** Transform steps by table name; tables without transforms are absent. */
export type TransformsByTable = ReadonlyMap<string, readonly TransformStep[]>;

export const NO_TRANSFORMS: TransformsByTable = new Map();

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar =>
  v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * The transforms of the tables of a loaded configuration. They live beside each table contract
 * in tablelane.yaml and parseConfig carries them as written; they are checked here, against the
 * contracts, and errors name the file the configuration came from.
 */
export function loadTransforms(config: TablelaneConfig): TransformsByTable {
  const tables = config.tables.map((table) => ({ name: table.name, transforms: table.transforms }));
  return parseTransforms({ tables }, config, config.source);
}

/**
 * Validates the transforms of every table against its contract: a renamed-to or computed
 * column must be a column of the contract, so a transform can never invent an identifier.
 */
export function parseTransforms(
  raw: unknown,
  config: TablelaneConfig,
  source = 'configuration',
): TransformsByTable {
  const result = new Map<string, TransformStep[]>();
  if (!isObject(raw) || !Array.isArray(raw.tables)) return result;
  const problems: string[] = [];
  for (const table of raw.tables) {
    if (!isObject(table) || table.transforms === undefined) continue;
    const contract = typeof table.name === 'string' ? findTable(config, table.name) : undefined;
    if (!contract) continue;
    const at = `table "${contract.name}": transforms`;
    if (!Array.isArray(table.transforms)) {
      problems.push(`${at} must be a list of steps (rename, drop, cast, compute, filter)`);
      continue;
    }
    const steps: TransformStep[] = [];
    table.transforms.forEach((step, i) => steps.push(...parseStep(step, `${at}[${i}]`, contract, problems)));
    result.set(contract.name, steps);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return result;
}

function parseStep(raw: unknown, at: string, contract: TableContract, problems: string[]): TransformStep[] {
  const isColumn = (name: string) => contract.columns.some((c) => c.name === name);
  if (!isObject(raw) || Object.keys(raw).length !== 1) {
    problems.push(`${at} must be a mapping with exactly one of rename, drop, cast, compute, filter`);
    return [];
  }
  const [kind, body] = Object.entries(raw)[0]!;
  switch (kind) {
    case 'rename':
      if (!isObject(body) || !Object.values(body).every((v) => typeof v === 'string')) {
        problems.push(`${at}.rename must map old field names to column names, e.g. { qty_sold: qty }`);
        return [];
      }
      return Object.entries(body as Record<string, string>).flatMap(([from, to]) => {
        if (!isColumn(to)) {
          problems.push(`${at}.rename: ${to} is not a column of ${contract.name}`);
          return [];
        }
        return [{ kind: 'rename', from, to } as const];
      });
    case 'drop':
      if (!Array.isArray(body) || !body.every((v) => typeof v === 'string')) {
        problems.push(`${at}.drop must be a list of field names`);
        return [];
      }
      if (body.some((field) => contract.primaryKey.includes(field as string))) {
        problems.push(`${at}.drop cannot drop a primary key column`);
        return [];
      }
      return [{ kind: 'drop', fields: body as string[] }];
    case 'cast':
      if (!isObject(body)) {
        problems.push(`${at}.cast must map field names to one of ${CAST_TARGETS.join(', ')}`);
        return [];
      }
      return Object.entries(body).flatMap(([field, to]) => {
        if (!CAST_TARGETS.includes(to as CastTarget)) {
          problems.push(
            `${at}.cast: ${JSON.stringify(to)} for ${field} is not one of ${CAST_TARGETS.join(', ')}`,
          );
          return [];
        }
        return [{ kind: 'cast', field, to: to as CastTarget } as const];
      });
    case 'compute':
      if (!isObject(body)) {
        problems.push(`${at}.compute must map column names to expressions`);
        return [];
      }
      return Object.entries(body).flatMap(([column, expr]) => {
        if (!isColumn(column)) {
          problems.push(`${at}.compute: ${column} is not a column of ${contract.name}`);
          return [];
        }
        const parsed = parseExpr(expr, `${at}.compute.${column}`, problems);
        return parsed ? [{ kind: 'compute', column, expr: parsed } as const] : [];
      });
    case 'filter': {
      const test = isObject(body) ? parseFilterTest(body) : undefined;
      if (!isObject(body) || typeof body.column !== 'string' || !test) {
        problems.push(`${at}.filter must name a column and one test: equals, notEquals, in, notIn or isNull`);
        return [];
      }
      return [{ kind: 'filter', column: body.column, test }];
    }
    default:
      problems.push(
        `${at}: unknown transform ${JSON.stringify(kind)}; use rename, drop, cast, compute or filter`,
      );
      return [];
  }
}

function parseFilterTest(body: Raw): FilterTest | undefined {
  const tests = Object.keys(body).filter((k) => k !== 'column');
  if (tests.length !== 1) return undefined;
  const value = body[tests[0]!];
  switch (tests[0]) {
    case 'equals':
      return isScalar(value) ? { equals: value } : undefined;
    case 'notEquals':
      return isScalar(value) ? { notEquals: value } : undefined;
    case 'in':
      return Array.isArray(value) && value.every(isScalar) ? { in: value } : undefined;
    case 'notIn':
      return Array.isArray(value) && value.every(isScalar) ? { notIn: value } : undefined;
    case 'isNull':
      return typeof value === 'boolean' ? { isNull: value } : undefined;
    default:
      return undefined;
  }
}

function parseExpr(raw: unknown, at: string, problems: string[]): ValueExpr | undefined {
  const fail = () => {
    problems.push(
      `${at}: an expression is one of { column: name }, { value: literal }, { concat: [..] }, { lower: .. }, { upper: .. }, { coalesce: [..] }, { eventTime: true }`,
    );
    return undefined;
  };
  if (!isObject(raw) || Object.keys(raw).length !== 1) return fail();
  const [op, arg] = Object.entries(raw)[0]!;
  switch (op) {
    case 'column':
      return typeof arg === 'string' ? { column: arg } : fail();
    case 'value':
      return isScalar(arg) ? { value: arg } : fail();
    case 'eventTime':
      return arg === true ? { eventTime: true } : fail();
    case 'lower':
    case 'upper': {
      const inner = parseExpr(arg, at, problems);
      if (!inner) return undefined;
      return op === 'lower' ? { lower: inner } : { upper: inner };
    }
    case 'concat':
    case 'coalesce': {
      if (!Array.isArray(arg)) return fail();
      const parts = arg.map((a) => parseExpr(a, at, problems));
      if (parts.some((p) => p === undefined)) return undefined;
      return op === 'concat' ? { concat: parts as ValueExpr[] } : { coalesce: parts as ValueExpr[] };
    }
    default:
      return fail();
  }
}

export type TransformOutcome = { kind: 'keep'; event: Raw } | { kind: 'filtered'; reason: string };

/**
 * Applies a table's transforms to a change event in the JSON form, returning a new event.
 * Upserts are transformed on `row`; deletes on `key`, where a compute only fills key columns
 * and a filter on a column the key does not carry lets the delete through (deleting a row
 * that was never loaded is harmless; keeping a row that should be gone is not).
 */
export function applyTransforms(
  steps: readonly TransformStep[],
  event: Raw,
  contract: TableContract,
): TransformOutcome {
  const field = event.op === 'delete' ? 'key' : 'row';
  if (steps.length === 0 || !isObject(event[field])) return { kind: 'keep', event };
  const values: Raw = { ...(event[field] as Raw) };
  const isDelete = field === 'key';
  for (const step of steps) {
    switch (step.kind) {
      case 'rename':
        if (step.from in values) {
          values[step.to] = values[step.from];
          delete values[step.from];
        }
        break;
      case 'drop':
        for (const name of step.fields) delete values[name];
        break;
      case 'cast':
        if (values[step.field] !== undefined && values[step.field] !== null) {
          values[step.field] = cast(values[step.field], step.to, `${field}.${step.field}`);
        }
        break;
      case 'compute':
        if (!isDelete || contract.primaryKey.includes(step.column))
          values[step.column] = evaluate(step.expr, values, event);
        break;
      case 'filter':
        if (isDelete && !(step.column in values)) break;
        if (!passes(step.test, values[step.column])) {
          return {
            kind: 'filtered',
            reason: `${field}.${step.column} does not pass the filter ${JSON.stringify(step.test)}`,
          };
        }
        break;
    }
  }
  return { kind: 'keep', event: { ...event, [field]: values } };
}

function cast(value: unknown, to: CastTarget, field: string): unknown {
  const fail = (why: string): never => {
    throw new ChangeRejected([
      { code: 'INVALID_VALUE', field, message: `${field} cannot be cast to ${to}: ${why}` },
    ]);
  };
  switch (to) {
    case 'string':
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
    case 'number': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : NaN;
      return Number.isFinite(n) ? n : fail(`${JSON.stringify(value)} is not a number`);
    }
    case 'boolean':
      if (value === true || value === 1 || value === '1' || value === 'true' || value === 'yes') return true;
      if (value === false || value === 0 || value === '0' || value === 'false' || value === 'no')
        return false;
      return fail(`${JSON.stringify(value)} is not one of true, false, 1, 0, yes, no`);
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return fail('the text is not valid JSON');
      }
    case 'timestamptz_from_epoch_ms': {
      const ms =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^\d+$/.test(value)
            ? Number(value)
            : NaN;
      const date = new Date(ms);
      return Number.isFinite(ms) && !Number.isNaN(date.getTime())
        ? date.toISOString()
        : fail(`${JSON.stringify(value)} is not epoch milliseconds`);
    }
  }
}

function evaluate(expr: ValueExpr, values: Raw, event: Raw): Scalar {
  if ('column' in expr) {
    const v = values[expr.column];
    return v === undefined ? null : isScalar(v) ? v : JSON.stringify(v);
  }
  if ('value' in expr) return expr.value;
  if ('eventTime' in expr)
    return typeof event.ts === 'number' && Number.isFinite(event.ts)
      ? new Date(event.ts).toISOString()
      : null;
  if ('lower' in expr) {
    const v = evaluate(expr.lower, values, event);
    return v === null ? null : String(v).toLowerCase();
  }
  if ('upper' in expr) {
    const v = evaluate(expr.upper, values, event);
    return v === null ? null : String(v).toUpperCase();
  }
  if ('concat' in expr) {
    const parts = expr.concat.map((e) => evaluate(e, values, event));
    return parts.some((p) => p === null) ? null : parts.join('');
  }
  for (const e of expr.coalesce) {
    const v = evaluate(e, values, event);
    if (v !== null) return v;
  }
  return null;
}

function passes(test: FilterTest, value: unknown): boolean {
  const v = value === undefined ? null : value;
  if ('equals' in test) return v === test.equals;
  if ('notEquals' in test) return v !== test.notEquals;
  if ('in' in test) return test.in.includes(v as Scalar);
  if ('notIn' in test) return !test.notIn.includes(v as Scalar);
  return (v === null) === test.isNull;
}

import type { z } from 'zod';

/**
 * How a schema issue becomes one line of a ConfigError. Issues about one value read
 * "<where> <what is wrong>" (`warehouse.kind "oracle" is not supported…`); issues about how
 * values relate read "<where>: <sentence>" (`table "public.sales": primary key column …`). A
 * relation marks itself with `params.relation`, and may name its place with `params.at` when the
 * path alone would name it differently (a duplicate table is known by its index, not its name).
 */
export interface RelationParams {
  relation: true;
  at?: string;
}

type Ctx = {
  addIssue(issue: { code: 'custom'; message: string; path: PropertyKey[]; params: RelationParams }): void;
};

/** Reports a problem with how values relate, at `path` below the schema being refined. */
export function relationProblem(ctx: Ctx, message: string, path: PropertyKey[] = [], at?: string): void {
  ctx.addIssue({ code: 'custom', message, path, params: at ? { relation: true, at } : { relation: true } });
}

/** Every issue as a sentence; `raw` gives the table names that locate an issue inside `tables:`. */
export function problemsOf(issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const problems = issues.map((issue) => {
    const params =
      issue.code === 'custom' ? (issue.params as Partial<RelationParams> | undefined) : undefined;
    const where = params?.at ?? locate(issue.path, raw);
    if (where === '') return issue.message;
    return params?.relation ? `${where}: ${issue.message}` : `${where} ${issue.message}`;
  });
  // A value can fail two checks with the same words (-1.5 is neither whole nor positive).
  return [...new Set(problems)];
}

/** The place a person looks for: `table "public.sales": flush.maxRows`, `warehouse.kind`. */
function locate(path: readonly PropertyKey[], raw: unknown): string {
  if (path.length === 0) return '';
  const [top, index, ...rest] = path;
  if (top === 'tables' && path.length === 1) return '`tables:`';
  if (top === 'tables' && typeof index === 'number') {
    const name = tableNameAt(raw, index);
    if (name === undefined) return `tables[${index}]${rest.length > 0 ? `.${dotted(rest)}` : ''}`;
    const table = `table ${JSON.stringify(name)}`;
    if (rest.length === 0) return table;
    // One column of the `columns:` mapping is known by its name alone.
    if (rest[0] === 'columns' && rest.length === 2) return `${table}: column ${String(rest[1])}`;
    return `${table}: ${dotted(rest)}`;
  }
  return dotted(path);
}

/** The table's name when it is written schema.table, the form every table message names. */
function tableNameAt(raw: unknown, index: number): string | undefined {
  const tables = isMapping(raw) ? raw.tables : undefined;
  const table: unknown = Array.isArray(tables) ? tables[index] : undefined;
  const name = isMapping(table) ? table.name : undefined;
  return typeof name === 'string' && name.split('.').length === 2 ? name : undefined;
}

function dotted(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`))
    .join('');
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

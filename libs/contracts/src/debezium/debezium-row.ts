import type { TableContract } from '@app/config';
import { ChangeRejected, type ChangeIssue } from '../error-codes';
import { columnValue, type SchemalessRules } from './column-value';
import { structFields, type ConnectSchema } from './connect-schema';
import type { Fields } from './debezium-input';
import { unavailableTest } from './unavailable-value';

export interface RowRules {
  unavailableValue: string;
  undeclaredColumns: 'ignore' | 'dead-letter';
  schemaless: SchemalessRules;
}

/**
 * The row an `after` image loads: the contract's columns only (its identifiers are the only
 * ones that reach SQL), each in the form its type takes. A column the source did not log (the
 * unavailable placeholder, an unchanged TOAST value) is left out and listed in `unchanged`, so
 * the warehouse keeps its value; a key column cannot be. The version column is the caller's.
 * A source column the contract does not declare is dropped, or with `dead-letter` refuses the
 * change (UNKNOWN_COLUMN, which the router holds as a contract gap, as for any producer).
 * Every problem found is reported at once.
 */
export function rowOf(
  contract: TableContract,
  after: Fields,
  schema: ConnectSchema | undefined,
  rules: RowRules,
): { row: Record<string, unknown>; unchanged: string[] } {
  const issues: ChangeIssue[] = [];
  if (rules.undeclaredColumns === 'dead-letter') {
    for (const name of Object.keys(after))
      if (!contract.columns.some((c) => c.name === name))
        issues.push({
          code: 'UNKNOWN_COLUMN',
          field: `after.${name}`,
          message: `source column ${name} is not a column of ${contract.name} (the feed dead-letters undeclared columns)`,
        });
  }
  const unavailable = unavailableTest(rules.unavailableValue);
  // Looked up once per row: a wide table's schema has as many fields as it has columns.
  const schemas = new Map(structFields(schema).map((f) => [f.field, f] as const));
  const row: Record<string, unknown> = {};
  const unchanged: string[] = [];
  for (const column of contract.columns) {
    if (column.name === contract.version || !Object.hasOwn(after, column.name)) continue;
    const field = `after.${column.name}`;
    const raw = after[column.name];
    const columnSchema = schemas.get(column.name);
    if (unavailable(raw, columnSchema)) {
      if (contract.primaryKey.includes(column.name))
        issues.push({
          code: 'MISSING_KEY',
          field,
          message: `${field} is the unavailable-value placeholder, but it is part of the primary key of ${contract.name}`,
        });
      else unchanged.push(column.name);
      continue;
    }
    try {
      row[column.name] = columnValue(raw, columnSchema, column, field, rules.schemaless);
    } catch (error) {
      if (!(error instanceof ChangeRejected)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ChangeRejected(issues);
  return { row, unchanged };
}

import { isIdentifier } from '@app/config';

/**
 * Quotes an identifier. Contracts only admit [a-z0-9_] names, so this refuses anything else
 * instead of escaping it: an identifier that did not come from a validated contract is a bug.
 */
export function quoteIdent(name: string): string {
  if (!isIdentifier(name) && !/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(
      `refusing to quote identifier ${JSON.stringify(name)}: identifiers come from table contracts only`,
    );
  }
  return `"${name}"`;
}

export function qualify(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * Identifiers allowed in contracts: lower case letters, digits and underscores, starting with
 * a letter or underscore, at most 63 bytes (PostgreSQL's limit; Redshift allows 127). Quotes,
 * semicolons, spaces and upper case never pass, so a quoted identifier can never be escaped
 * out of, and the names mean the same thing quoted or not on every warehouse.
 */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER_PATTERN.test(value);
}

/** Why `value` cannot be an identifier, worded to follow the name of the setting that holds it. */
export function notAnIdentifier(value: unknown): string {
  return `${JSON.stringify(value)} is not a valid identifier: use lower case letters, digits and underscores, starting with a letter or underscore, at most 63 characters (no quotes, semicolons or spaces)`;
}

export function identifierProblem(what: string, value: unknown): string {
  return `${what} ${notAnIdentifier(value)}`;
}

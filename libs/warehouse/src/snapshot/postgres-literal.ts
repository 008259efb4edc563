/**
 * A PostgreSQL string literal, for the few values a COPY statement must carry (COPY takes no
 * bind parameters): the key a chunk continues after. Quotes are doubled; backslashes are
 * ordinary characters, which the session guarantees with `standard_conforming_strings = on`
 * (SOURCE_SESSION_SETTINGS). NUL cannot be in a PostgreSQL string, so it is refused rather than
 * passed on to be misread.
 */
export function postgresLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('refusing a NUL character in a PostgreSQL literal');
  return `'${value.replace(/'/g, "''")}'`;
}

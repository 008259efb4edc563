import type { Query } from './dialect';

/** Whether a table exists, from information_schema: PostgreSQL and Redshift answer it alike. */
export function tableExistsQuery(schema: string, table: string): Query {
  return {
    text: 'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
    values: [schema, table],
  };
}

/** The names of a table's columns, from information_schema: PostgreSQL and Redshift answer it alike. */
export function columnsQuery(schema: string, table: string): Query {
  return {
    text: 'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    values: [schema, table],
  };
}

import type { Query } from './dialect';

/** Whether a table exists, from information_schema: PostgreSQL and Redshift answer it alike. */
export function tableExistsQuery(schema: string, table: string): Query {
  return {
    text: 'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
    values: [schema, table],
  };
}

import { encodeCsv, PostgresDestination } from '@app/warehouse';
import { testConnection } from '../support/postgres';
import { describeDestination } from './destination-suite';

describeDestination('PostgreSQL', {
  create: (stateSchema, options) =>
    new PostgresDestination({
      pool: { ...testConnection(), max: 4 },
      stateSchema,
      createTables: true,
      lockTimeoutMs: 5000,
      ...options,
    }),
  encode: encodeCsv,
  uniqueTombstoneIndex: true,
});

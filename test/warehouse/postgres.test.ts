import { encodeCsv, PostgresDestination } from '../../libs/warehouse/src';
import { stackEnv } from '../support/env';
import { describeDestination } from './destination-suite';

describeDestination('PostgreSQL', {
  create: (stateSchema) =>
    new PostgresDestination({
      pool: {
        host: stackEnv.PGHOST,
        port: Number(stackEnv.PGPORT),
        user: stackEnv.PGUSER,
        database: stackEnv.PGDATABASE,
        max: 4,
      },
      stateSchema,
      createTables: true,
      lockTimeoutMs: 5000,
    }),
  encode: encodeCsv,
});

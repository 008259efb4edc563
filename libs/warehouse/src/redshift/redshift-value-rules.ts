import type { WarehouseValueRules } from '@app/contracts';
import { REDSHIFT_MAX_VARCHAR } from './redshift-types';

/**
 * What Redshift accepts where warehouses differ: VARCHAR(n) counts UTF-8 bytes; text maps to
 * VARCHAR(65535) and json is staged as VARCHAR(65535) before JSON_PARSE into SUPER, so both hold
 * at most 65,535 bytes; TIMETZ's documented range is ±14:59; DOUBLE PRECISION refuses subnormal
 * values as out of range (which PostgreSQL accepts).
 */
export const redshiftValueRules: WarehouseValueRules = {
  warehouse: 'Redshift',
  varcharLength: 'bytes',
  maxTextBytes: REDSHIFT_MAX_VARCHAR,
  maxJsonBytes: REDSHIFT_MAX_VARCHAR,
  maxZoneOffsetMinutes: 14 * 60 + 59,
  subnormalDoubles: false,
};

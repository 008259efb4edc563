import { DEFAULT_VALUE_RULES, type WarehouseValueRules } from '@app/contracts';

/**
 * What PostgreSQL accepts where warehouses differ: varchar(n) counts characters; text is bounded
 * by the 1 GB field limit and jsonb by its 256 MB limit; zone offsets up to ±15:59
 * (datetime.c MAX_TZDISP_HOUR); subnormal doubles load (float8in refuses only 0 and infinity
 * from an out-of-range input). They are the contracts' default, so one definition serves both.
 */
export const postgresValueRules: WarehouseValueRules = DEFAULT_VALUE_RULES;

import type { WarehouseKind } from '@app/config';
import type { WarehouseValueRules } from '@app/contracts';
import { postgresValueRules } from './postgres/postgres-value-rules';
import { redshiftValueRules } from './redshift/redshift-value-rules';

/**
 * What the configured warehouse loads as sent. The router validates with the same rules as the
 * sink, so a value the warehouse would refuse is dead-lettered at the first hop.
 */
export function valueRulesFor(kind: WarehouseKind): WarehouseValueRules {
  return kind === 'redshift' ? redshiftValueRules : postgresValueRules;
}

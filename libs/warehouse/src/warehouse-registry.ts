import type { RuntimeSettings, TablelaneConfig, WarehouseKind } from '@app/config';
import type { WarehouseValueRules } from '@app/contracts';
import { AuroraS3ImportLoader } from './aurora/aurora-s3-import';
import type { Destination } from './destination.port';
import { PostgresDestination } from './postgres/postgres-destination';
import { RedshiftDestination } from './redshift/redshift-destination';
import { RedshiftDialect } from './redshift/redshift-dialect';
import { RedshiftS3CopyLoader } from './redshift/redshift-s3-loader';
import { describeRedshiftSettings, redshiftSettings } from './redshift/redshift-settings';
import { redshiftStagingFormat } from './redshift/redshift-staging';
import { PLAIN_CSV_STAGING, type StagingFormat } from './staging-format';
import { valueRulesFor } from './value-rules';

/** What a process (the sink, the CLI) asks of the warehouse it builds. */
export interface WarehouseOptions {
  /** application_name of the connections, as the warehouse's session views show it. */
  applicationName: string;
  maxConnections: number;
  /** Test-only fault point between the COPY and the merge. */
  afterCopy?: () => void;
}

/** The configured warehouse: its destination, the staging format it loads, its value rules. */
export interface BuiltWarehouse {
  destination: Destination;
  stagingFormat: StagingFormat;
  valueRules: WarehouseValueRules;
  /** A loggable view of the warehouse-specific settings (secrets masked), when it has any. */
  settings?: Record<string, unknown>;
}

/** One warehouse's builder: everything but its value rules, which the router needs without one. */
interface WarehouseEntry {
  build(
    config: TablelaneConfig,
    runtime: RuntimeSettings,
    env: NodeJS.ProcessEnv,
    options: WarehouseOptions,
  ): BuiltWarehouse;
}

const WAREHOUSES: Record<WarehouseKind, WarehouseEntry> = {
  postgres: {
    build(config, runtime, env, options) {
      const { stateSchema, createTables, lockTimeoutMs, ddlLockTimeoutMs, tombstoneRetentionMs } =
        config.warehouse;
      return {
        stagingFormat: PLAIN_CSV_STAGING,
        valueRules: valueRulesFor('postgres'),
        destination: new PostgresDestination({
          pool: {
            connectionString: runtime.databaseUrl,
            max: options.maxConnections,
            application_name: options.applicationName,
          },
          stateSchema,
          createTables,
          lockTimeoutMs,
          ddlLockTimeoutMs,
          tombstoneRetentionMs,
          loader:
            config.warehouse.postgresLoad === 'aurora-s3'
              ? new AuroraS3ImportLoader({ region: runtime.s3.region })
              : undefined,
          isolation: env.TABLELANE_PG_ISOLATION === 'serializable' ? 'serializable' : 'read committed',
          afterCopy: options.afterCopy,
        }),
      };
    },
  },
  redshift: {
    build(config, _runtime, env, options) {
      const { stateSchema, createTables, lockTimeoutMs, ddlLockTimeoutMs, tombstoneRetentionMs } =
        config.warehouse;
      const redshift = redshiftSettings(env);
      return {
        stagingFormat: redshiftStagingFormat({ manifest: redshift.copy.manifest }),
        valueRules: valueRulesFor('redshift'),
        settings: describeRedshiftSettings(redshift),
        destination: new RedshiftDestination({
          pool: { ...redshift.pool, max: options.maxConnections, application_name: options.applicationName },
          stateSchema,
          createTables,
          lockTimeoutMs,
          ddlLockTimeoutMs,
          tombstoneRetentionMs,
          loadTimeoutMs: redshift.loadTimeoutMs,
          lockTables: redshift.lockTables,
          loader: new RedshiftS3CopyLoader(new RedshiftDialect(), redshift.copy),
          dialect: { mergeStrategy: redshift.mergeStrategy },
          afterCopy: options.afterCopy,
        }),
      };
    },
  },
};

/** The registry entry of `kind`, refusing a kind no entry exists for. */
function entryOf(kind: string): WarehouseEntry {
  const entry = Object.hasOwn(WAREHOUSES, kind) ? WAREHOUSES[kind as WarehouseKind] : undefined;
  if (!entry)
    throw new Error(
      `warehouse.kind ${JSON.stringify(kind)} is not a warehouse tablelane can load; use one of ${Object.keys(WAREHOUSES).join(', ')}`,
    );
  return entry;
}

/** Builds the configured warehouse (`warehouse.kind`): the one place that maps a kind to its code. */
export function buildWarehouse(
  config: TablelaneConfig,
  runtime: RuntimeSettings,
  env: NodeJS.ProcessEnv,
  options: WarehouseOptions,
): BuiltWarehouse {
  return entryOf(config.warehouse.kind).build(config, runtime, env, options);
}

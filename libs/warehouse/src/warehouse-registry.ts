import {
  pgTlsVariables,
  postgresSettings,
  type RuntimeSettings,
  type TablelaneConfig,
  type WarehouseKind,
} from '@app/config';
import type { WarehouseValueRules } from '@app/contracts';
import { AuroraS3ImportLoader } from './aurora/aurora-s3-import';
import type { Destination } from './destination.port';
import { UnknownWarehouseKind } from './errors';
import { PostgresDestination } from './postgres/postgres-destination';
import { RedshiftDestination } from './redshift/redshift-destination';
import { RedshiftDialect } from './redshift/redshift-dialect';
import { RedshiftS3CopyLoader } from './redshift/redshift-s3-loader';
import { describeRedshiftSettings, redshiftSettings } from './redshift/redshift-settings';
import { redshiftStagingFormat } from './redshift/redshift-staging';
import { describePgTls, pgTlsConnection, sourcedVariables } from './pg-tls';
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

/** The libpq variables standing in for DATABASE_URL's TLS parameters. */
const PG_TLS_VARIABLES = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
} as const;

const WAREHOUSES: Record<WarehouseKind, WarehouseEntry> = {
  postgres: {
    build(config, runtime, env, options) {
      const { stateSchema, createTables, lockTimeoutMs, ddlLockTimeoutMs, tombstoneRetentionMs } =
        config.warehouse;
      // TLS with libpq's semantics: sslmode... of DATABASE_URL, else PGSSLMODE...; off by default.
      const connection = pgTlsConnection({
        server: 'PostgreSQL',
        url: runtime.databaseUrl,
        urlFrom: 'DATABASE_URL',
        ...sourcedVariables(pgTlsVariables(env), PG_TLS_VARIABLES),
        defaultMode: { value: 'disable', from: 'the default' },
        rootCertVariable: 'PGSSLROOTCERT',
      });
      return {
        stagingFormat: PLAIN_CSV_STAGING,
        valueRules: valueRulesFor('postgres'),
        settings: { tls: describePgTls(connection.tls) },
        destination: new PostgresDestination({
          pool: {
            ...connection.pool,
            max: options.maxConnections,
            application_name: options.applicationName,
            // PGPASSWORD_FILE: pg reads only PGPASSWORD itself. With DATABASE_URL, its own
            // password (DATABASE_URL_FILE for a mounted secret) is the one pg uses.
            ...(runtime.databaseUrl === undefined &&
              runtime.databasePassword !== undefined && { password: runtime.databasePassword }),
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
          isolation: postgresSettings(env).isolation,
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
  if (!entry) throw new UnknownWarehouseKind(kind, Object.keys(WAREHOUSES));
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

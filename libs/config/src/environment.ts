import { environmentSchema } from './environment.schema';
import type { SettingMeta } from './setting-meta';

/** One environment variable as the settings reference lists it. */
export interface EnvironmentVariable {
  name: string;
  valueType: string;
  /** As written in the environment; `unset` when absent means off or "use the other source". */
  default: string;
  readBy: string;
  description: string;
  /** A secret's other name, `<NAME>_FILE`: the path of a file holding the value. */
  fileVariable?: string;
}

/**
 * Variables that a library reads itself, not tablelane: listed so the reference (and the deploy
 * suite's check that every variable set is read) knows them. Every other variable is declared,
 * validated and read in environment.schema.ts.
 */
const READ_BY_LIBRARIES: readonly EnvironmentVariable[] = ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE'].map(
  (name) => ({
    name,
    valueType: 'string',
    default: 'unset',
    readBy: 'pg (sink, cli)',
    description: 'PostgreSQL connection parts, read by pg itself when DATABASE_URL is unset',
  }),
);

/** Variables of the environment schema, described by the schema itself. */
const FROM_SCHEMA: readonly EnvironmentVariable[] = Object.entries(environmentSchema.shape).map(
  ([name, schema]) => {
    const meta = schema.meta() as SettingMeta | undefined;
    const def = schema.def;
    const fileVariable = meta?.secret ? `${name}_FILE` : undefined;
    const valueType = meta?.valueType ?? 'string';
    return {
      name,
      valueType: fileVariable
        ? `${valueType === 'secret' ? 'secret' : `${valueType}, secret`}; or \`${fileVariable}\``
        : valueType,
      ...(fileVariable ? { fileVariable } : {}),
      default: meta?.defaultText ?? (def.type === 'default' ? String(def.defaultValue) : 'unset'),
      readBy: meta?.readBy ?? 'all apps',
      description: meta?.description ?? '',
    };
  },
);

/**
 * Every environment variable tablelane or its libraries read, in the order the reference lists
 * them: pg's own variables follow DATABASE_URL, which they stand in for. A secret's
 * `<NAME>_FILE` is not listed apart: its row says "secret; or `<NAME>_FILE`".
 */
export const ENVIRONMENT: readonly EnvironmentVariable[] = FROM_SCHEMA.flatMap((variable) =>
  variable.name === 'DATABASE_URL' ? [variable, ...READ_BY_LIBRARIES] : [variable],
);

/** Every name the apps read: the variables, and each secret's `<NAME>_FILE`. */
export const ENVIRONMENT_NAMES: ReadonlySet<string> = new Set(
  ENVIRONMENT.flatMap((variable) => [
    variable.name,
    ...(variable.fileVariable ? [variable.fileVariable] : []),
  ]),
);

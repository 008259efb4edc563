import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configPath } from './app-settings';
import { ConfigError } from './config-error';
import { problemsOf } from './config-issue';
import { topicDefaults, type Environment } from './environment.schema';
import type { FlushPolicy, TableContract } from './table-contract';
import { tableFileSchema, type TableFile } from './table-file.schema';
import type { TablelaneConfig } from './tablelane-config';

export { DEFAULT_FLUSH } from './table-file.schema';

/**
 * Reads the table contracts file `path`, by default the one TABLELANE_CONFIG names
 * (`tablelane.yaml`); the topics' defaults come from `env`.
 */
export function loadConfigFile(named?: string, env: Environment = process.env): TablelaneConfig {
  const path = named ?? configPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [
      `cannot read the file (${(error as Error).message}); set TABLELANE_CONFIG to the path of your tablelane.yaml`,
    ]);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid YAML: ${(error as Error).message}`]);
  }
  return parseConfig(raw, env, path);
}

/**
 * Validates a parsed table file; collects every problem before failing. Pure: the topics'
 * defaults (TABLELANE_TOPIC_*) come from `env`, so a test passes the environment it means.
 * `source` names the file in the error, and later in errors about the file's transforms.
 */
export function parseConfig(
  raw: unknown,
  env: Environment = process.env,
  source = 'configuration',
): TablelaneConfig {
  const parsed = tableFileSchema(topicDefaults(env)).safeParse(raw);
  if (!parsed.success) throw new ConfigError(source, problemsOf(parsed.error.issues, raw));
  const file = parsed.data;
  return {
    source,
    topics: file.topics,
    warehouse: file.warehouse,
    defaults: file.defaults,
    maxBufferedBytes: file.maxBufferedBytes,
    tables: file.tables.map((table) => tableContract(table, file.defaults.flush)),
    cdc: file.cdc,
  };
}

/** One validated table as the apps use it: the name split, columns in order, defaults filled. */
function tableContract(table: TableFile['tables'][number], defaultFlush: FlushPolicy): TableContract {
  const [schema, name] = table.name.split('.') as [string, string];
  return {
    name: table.name,
    schema,
    table: name,
    columns: Object.entries(table.columns).map(([column, type]) => ({ name: column, type })),
    // The schema checked that every key and the version are names of columns.
    primaryKey: table.primaryKey.filter((key): key is string => typeof key === 'string'),
    version: typeof table.version === 'string' ? table.version : undefined,
    mode: table.mode,
    lane: table.lane,
    flush: { ...defaultFlush, ...definedOnly(table.flush ?? {}) },
    locks: { ...table.locks, terminateIdleOlderThanMs: table.locks.terminateIdleOlderThanMs ?? null },
    ...(table.transforms !== undefined ? { transforms: table.transforms } : {}),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

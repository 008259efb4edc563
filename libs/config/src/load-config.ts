import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from './config-error';
import { problemsOf } from './config-issue';
import { topicDefaults, type Environment } from './environment.schema';
import type { FlushPolicy, TableContract } from './table-contract';
import { tableFileSchema, type TableFile } from './table-file.schema';
import type { TablelaneConfig } from './tablelane-config';

export { DEFAULT_FLUSH } from './table-file.schema';

/** Reads the table contracts file named by TABLELANE_CONFIG (default `tablelane.yaml`). */
export function loadConfigFile(path = process.env.TABLELANE_CONFIG ?? 'tablelane.yaml'): TablelaneConfig {
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
  return parseConfig(raw, process.env, path);
}

/**
 * Validates a parsed table file; collects every problem before failing. Pure: the topics'
 * defaults (TABLELANE_TOPIC_*) come from `env`, so a test passes the environment it means.
 * `source` names the file in the error. The `(raw, source)` form is the older signature, kept
 * so callers that only name the file compile; it reads the topics' defaults from process.env.
 */
export function parseConfig(raw: unknown, env?: Environment, source?: string): TablelaneConfig;
export function parseConfig(raw: unknown, source: string): TablelaneConfig;
export function parseConfig(
  raw: unknown,
  envOrSource: Environment | string = process.env,
  source = 'configuration',
): TablelaneConfig {
  const [env, where] = typeof envOrSource === 'string' ? [process.env, envOrSource] : [envOrSource, source];
  const parsed = tableFileSchema(topicDefaults(env)).safeParse(raw);
  if (!parsed.success) throw new ConfigError(where, problemsOf(parsed.error.issues, raw));
  const file = parsed.data;
  return {
    topics: file.topics,
    warehouse: file.warehouse,
    defaults: file.defaults,
    maxBufferedBytes: file.maxBufferedBytes,
    tables: file.tables.map((table) => tableContract(table, file.defaults.flush)),
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
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

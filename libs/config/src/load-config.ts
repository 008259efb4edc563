import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { formatColumnType, parseColumnType, SUPPORTED_TYPES } from './column-type';
import { ConfigError } from './config-error';
import { identifierProblem, isIdentifier } from './identifier';
import type { ColumnContract, FlushPolicy, LoadMode, LockPolicy, TableContract } from './table-contract';
import type { TablelaneConfig, WarehouseKind } from './tablelane-config';

/** Defaults aim at about one second from event to warehouse commit. */
export const DEFAULT_FLUSH: FlushPolicy = { maxRows: 50_000, maxBytes: 16 * 1024 * 1024, maxAgeMs: 1000 };

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  return parseConfig(raw, path);
}

/** Validates a parsed configuration; collects every problem before failing. */
export function parseConfig(raw: unknown, source = 'configuration'): TablelaneConfig {
  const problems: string[] = [];
  if (!isObject(raw)) throw new ConfigError(source, ['the file must be a mapping with a `tables:` list']);

  const topicsRaw = isObject(raw.topics) ? raw.topics : {};
  const topics = {
    ingest: topicName(
      topicsRaw.ingest,
      process.env.TABLELANE_TOPIC_INGEST ?? 'tablelane.ingest',
      'topics.ingest',
      problems,
    ),
    changes: topicName(
      topicsRaw.changes,
      process.env.TABLELANE_TOPIC_CHANGES ?? 'tablelane.changes',
      'topics.changes',
      problems,
    ),
    dlq: topicName(topicsRaw.dlq, process.env.TABLELANE_TOPIC_DLQ ?? 'tablelane.dlq', 'topics.dlq', problems),
  };

  const wh = isObject(raw.warehouse) ? raw.warehouse : {};
  const kind = (wh.kind ?? 'postgres') as WarehouseKind;
  if (kind !== 'postgres' && kind !== 'redshift')
    problems.push(`warehouse.kind ${JSON.stringify(wh.kind)} is not supported: use postgres or redshift`);
  const stateSchema = wh.stateSchema ?? 'tablelane';
  if (!isIdentifier(stateSchema)) problems.push(identifierProblem('warehouse.stateSchema', stateSchema));
  const staging = wh.staging ?? 's3';
  if (staging !== 's3' && staging !== 'direct')
    problems.push(`warehouse.staging must be s3 or direct, not ${JSON.stringify(staging)}`);
  if (staging === 'direct' && kind === 'redshift')
    problems.push('warehouse.staging: direct is only possible for postgres; Redshift loads from S3');
  const postgresLoad = wh.postgresLoad ?? 'stream';
  if (postgresLoad !== 'stream' && postgresLoad !== 'aurora-s3') {
    problems.push(`warehouse.postgresLoad must be stream or aurora-s3, not ${JSON.stringify(postgresLoad)}`);
  }
  if (postgresLoad === 'aurora-s3' && (staging !== 's3' || kind !== 'postgres')) {
    problems.push(
      'warehouse.postgresLoad: aurora-s3 needs kind: postgres and staging: s3 (Aurora loads the staged file from S3)',
    );
  }
  const lockTimeoutMs = positiveInt(wh.lockTimeoutMs ?? 2000, 'warehouse.lockTimeoutMs', problems);
  const ddlLockTimeoutMs = positiveInt(wh.ddlLockTimeoutMs ?? 500, 'warehouse.ddlLockTimeoutMs', problems);
  // Seven days: Kafka's default topic retention, past which a delayed change is gone anyway.
  const tombstoneRetentionMs = positiveInt(
    wh.tombstoneRetentionMs ?? 7 * 24 * 3600 * 1000,
    'warehouse.tombstoneRetentionMs',
    problems,
  );

  const defaultsRaw = isObject(raw.defaults) ? raw.defaults : {};
  const defaultFlush = flushPolicy(defaultsRaw.flush, DEFAULT_FLUSH, 'defaults.flush', problems);
  const maxBufferedBytes = positiveInt(
    raw.maxBufferedBytes ?? 256 * 1024 * 1024,
    'maxBufferedBytes',
    problems,
  );

  const tables: TableContract[] = [];
  if (!Array.isArray(raw.tables) || raw.tables.length === 0) {
    problems.push('`tables:` must be a non-empty list of table contracts');
  } else {
    raw.tables.forEach((t, i) => {
      const table = tableContract(t, i, defaultFlush, problems);
      if (!table) return;
      if (tables.some((other) => other.name === table.name)) {
        problems.push(`tables[${i}]: table ${table.name} is declared twice; merge the two entries into one`);
      } else {
        tables.push(table);
      }
    });
  }

  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    topics,
    warehouse: {
      kind,
      stateSchema: stateSchema as string,
      createTables: wh.createTables !== false,
      staging: staging as 's3' | 'direct',
      postgresLoad: postgresLoad as 'stream' | 'aurora-s3',
      lockTimeoutMs,
      ddlLockTimeoutMs,
      tombstoneRetentionMs,
    },
    defaults: { flush: defaultFlush },
    maxBufferedBytes,
    tables,
  };
}

function tableContract(
  raw: unknown,
  index: number,
  defaultFlush: FlushPolicy,
  problems: string[],
): TableContract | undefined {
  const at = `tables[${index}]`;
  if (!isObject(raw)) {
    problems.push(`${at} must be a mapping with name, columns and primaryKey`);
    return undefined;
  }
  const name = raw.name;
  const parts = typeof name === 'string' ? name.split('.') : [];
  if (parts.length !== 2) {
    problems.push(
      `${at}.name ${JSON.stringify(name)} must be written schema.table, for example public.sales`,
    );
    return undefined;
  }
  const [schema, table] = parts as [string, string];
  const where = `table ${JSON.stringify(name)}`;
  let ok = true;
  for (const [what, value] of [
    ['schema', schema],
    ['table', table],
  ] as const) {
    if (!isIdentifier(value)) {
      problems.push(`${where}: ${identifierProblem(what, value)}`);
      ok = false;
    }
  }

  const columns: ColumnContract[] = [];
  if (!isObject(raw.columns) || Object.keys(raw.columns).length === 0) {
    problems.push(`${where}: columns must be a mapping of column name to type (${SUPPORTED_TYPES})`);
    ok = false;
  } else {
    for (const [column, declared] of Object.entries(raw.columns)) {
      if (!isIdentifier(column)) {
        problems.push(`${where}: ${identifierProblem('column', column)}`);
        ok = false;
        continue;
      }
      const type = typeof declared === 'string' ? parseColumnType(declared) : undefined;
      if (!type) {
        problems.push(
          `${where}: column ${column} has unknown type ${JSON.stringify(declared)}; supported types: ${SUPPORTED_TYPES}`,
        );
        ok = false;
        continue;
      }
      columns.push({ name: column, type });
    }
  }
  const columnNames = new Set(columns.map((c) => c.name));

  const mode = (raw.mode ?? 'merge') as LoadMode;
  if (mode !== 'merge' && mode !== 'append') {
    problems.push(`${where}: mode ${JSON.stringify(raw.mode)} is not supported; use merge or append`);
    ok = false;
  }

  const primaryKey =
    raw.primaryKey === undefined ? [] : Array.isArray(raw.primaryKey) ? raw.primaryKey : [raw.primaryKey];
  if (mode === 'merge' && primaryKey.length === 0) {
    problems.push(
      `${where}: primaryKey is required for merge tables (warehouses like Redshift do not enforce keys, so tablelane does); declare it, e.g. primaryKey: [id], or use mode: append`,
    );
    ok = false;
  }
  for (const key of primaryKey) {
    if (typeof key !== 'string' || !columnNames.has(key)) {
      problems.push(`${where}: primary key column ${JSON.stringify(key)} is not one of its columns`);
      ok = false;
    } else if (columns.find((c) => c.name === key)?.type.kind === 'json') {
      problems.push(`${where}: primary key column ${key} cannot be json`);
      ok = false;
    }
  }
  if (new Set(primaryKey).size !== primaryKey.length) {
    problems.push(`${where}: primaryKey lists a column twice`);
    ok = false;
  }

  const version = raw.version;
  if (version !== undefined) {
    const versionColumn = columns.find((c) => c.name === version);
    if (!versionColumn) {
      problems.push(`${where}: version column ${JSON.stringify(version)} is not one of its columns`);
      ok = false;
    } else if (
      !['integer', 'bigint', 'numeric', 'timestamp', 'timestamptz'].includes(versionColumn.type.kind)
    ) {
      problems.push(
        `${where}: version column ${versionColumn.name} has type ${formatColumnType(versionColumn.type)}; use an integer, bigint, numeric or timestamp column`,
      );
      ok = false;
    }
    if (mode === 'append') {
      problems.push(`${where}: a version column only applies to merge tables; remove it or use mode: merge`);
      ok = false;
    }
  }

  let lane: number | undefined;
  if (raw.lane !== undefined) {
    if (!Number.isInteger(raw.lane) || (raw.lane as number) < 0) {
      problems.push(`${where}: lane must be a partition number (0 or more), not ${JSON.stringify(raw.lane)}`);
      ok = false;
    } else {
      lane = raw.lane as number;
    }
  }

  const flush = flushPolicy(raw.flush, defaultFlush, `${where}: flush`, problems);
  const locks = lockPolicy(raw.locks, `${where}: locks`, problems);
  if (!ok) return undefined;
  return {
    name: name as string,
    schema,
    table,
    columns,
    primaryKey: primaryKey as string[],
    version: version as string | undefined,
    mode,
    lane,
    flush,
    locks,
  };
}

function lockPolicy(raw: unknown, at: string, problems: string[]): LockPolicy {
  const fallback: LockPolicy = {
    onTimeout: 'wait',
    cancelOlderThanMs: 300_000,
    terminateIdleOlderThanMs: null,
  };
  if (raw === undefined) return fallback;
  if (!isObject(raw)) {
    problems.push(`${at} must be a mapping with onTimeout and cancelOlderThanMs`);
    return fallback;
  }
  const onTimeout = raw.onTimeout ?? 'wait';
  if (onTimeout !== 'wait' && onTimeout !== 'cancel-blockers' && onTimeout !== 'fail') {
    problems.push(`${at}.onTimeout must be wait, cancel-blockers or fail, not ${JSON.stringify(onTimeout)}`);
    return fallback;
  }
  return {
    onTimeout,
    cancelOlderThanMs: positiveInt(
      raw.cancelOlderThanMs ?? fallback.cancelOlderThanMs,
      `${at}.cancelOlderThanMs`,
      problems,
    ),
    terminateIdleOlderThanMs:
      raw.terminateIdleOlderThanMs === undefined
        ? null
        : positiveInt(raw.terminateIdleOlderThanMs, `${at}.terminateIdleOlderThanMs`, problems),
  };
}

function flushPolicy(raw: unknown, base: FlushPolicy, at: string, problems: string[]): FlushPolicy {
  if (raw === undefined) return base;
  if (!isObject(raw)) {
    problems.push(`${at} must be a mapping with maxRows, maxBytes and/or maxAgeMs`);
    return base;
  }
  return {
    maxRows: positiveInt(raw.maxRows ?? base.maxRows, `${at}.maxRows`, problems),
    maxBytes: positiveInt(raw.maxBytes ?? base.maxBytes, `${at}.maxBytes`, problems),
    maxAgeMs: positiveInt(raw.maxAgeMs ?? base.maxAgeMs, `${at}.maxAgeMs`, problems),
  };
}

function positiveInt(value: unknown, at: string, problems: string[]): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  problems.push(`${at} must be a positive whole number, not ${JSON.stringify(value)}`);
  return 1;
}

function topicName(value: unknown, fallback: string, at: string, problems: string[]): string {
  const topic = value ?? fallback;
  if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    problems.push(`${at} ${JSON.stringify(topic)} is not a valid Kafka topic name (letters, digits, . _ -)`);
    return fallback;
  }
  return topic;
}

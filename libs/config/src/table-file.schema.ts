import { z } from 'zod';
import { cdcFeedSchema } from './cdc-feed.schema';
import { formatColumnType, parseColumnType, SUPPORTED_TYPES, type ColumnType } from './column-type';
import { isMapping, relationProblem } from './config-issue';
import { IDENTIFIER_PATTERN, identifierProblem, isIdentifier, notAnIdentifier } from './identifier';
import { documented } from './setting-meta';
import type { FlushPolicy } from './table-contract';
import type { TopicSettings } from './tablelane-config';

/*
 * The table file (tablelane.yaml) as a zod schema: shape, defaults and the words of every
 * problem. Messages are the part after the key ("must be …"); config-issue.ts puts the key in
 * front. Unknown keys are ignored, as they always were, so a newer file loads on an older app.
 */

const shown = (input: unknown) => JSON.stringify(input);
const wholePositive = () => {
  const error = (issue: { input?: unknown }) => `must be a positive whole number, not ${shown(issue.input)}`;
  return z.number({ error }).int({ error }).positive({ error });
};
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, wording: string) =>
  z.enum(values, { error: (issue) => `must be ${wording}, not ${shown(issue.input)}` });

const topic = (fallback: string, env: string) =>
  documented(
    z
      .string({
        error: (issue) => `${shown(issue.input)} is not a valid Kafka topic name (letters, digits, . _ -)`,
      })
      .regex(/^[A-Za-z0-9._-]{1,249}$/, {
        error: (issue) => `${shown(issue.input)} is not a valid Kafka topic name (letters, digits, . _ -)`,
      })
      .prefault(fallback),
    { valueType: 'Kafka topic name', description: `overrides ${env}`, defaultText: `\`${env}\`` },
  );

const topicsSchema = (defaults: TopicSettings) =>
  z
    .object(
      {
        ingest: topic(defaults.ingest, 'TABLELANE_TOPIC_INGEST'),
        changes: topic(defaults.changes, 'TABLELANE_TOPIC_CHANGES'),
        dlq: topic(defaults.dlq, 'TABLELANE_TOPIC_DLQ'),
      },
      { error: () => 'must be a mapping of ingest, changes and dlq' },
    )
    .prefault({});

const warehouseSchema = z
  .object(
    {
      kind: documented(
        z
          .enum(['postgres', 'redshift'], {
            error: (issue) => `${shown(issue.input)} is not supported: use postgres or redshift`,
          })
          .default('postgres'),
        { valueType: '`postgres` \\| `redshift`', description: 'the warehouse tablelane loads into' },
      ),
      stateSchema: documented(
        z
          .string({ error: (issue) => notAnIdentifier(issue.input) })
          .regex(IDENTIFIER_PATTERN, { error: (issue) => notAnIdentifier(issue.input) })
          .default('tablelane'),
        { valueType: 'identifier', description: 'schema of the checkpoint and tombstone tables' },
      ),
      createTables: documented(
        z.boolean({ error: (issue) => `must be true or false, not ${shown(issue.input)}` }).default(true),
        { valueType: 'boolean', description: 'create missing targets and add columns new to a contract' },
      ),
      staging: documented(oneOf(['s3', 'direct'], 's3 or direct').default('s3'), {
        valueType: '`s3` \\| `direct`',
        description:
          '`s3` stages every batch as a file in the bucket; `direct` streams it to COPY (PostgreSQL only)',
      }),
      postgresLoad: documented(oneOf(['stream', 'aurora-s3'], 'stream or aurora-s3').default('stream'), {
        valueType: '`stream` \\| `aurora-s3`',
        description:
          'PostgreSQL only: `stream` COPYs the staged file through the connection, `aurora-s3` has Aurora import it from S3 (needs `staging: s3`)',
      }),
      lockTimeoutMs: documented(wholePositive().prefault(2000), {
        valueType: 'positive integer (ms)',
        description:
          'bound on every lock wait of the loader, so it never queues in front of readers for long',
      }),
      ddlLockTimeoutMs: documented(wholePositive().prefault(500), {
        valueType: 'positive integer (ms)',
        description: 'shorter bound for DDL (create table, add column): readers queue behind a waiting ALTER',
      }),
      // Seven days: Kafka's default topic retention, past which a delayed change is gone anyway.
      tombstoneRetentionMs: documented(wholePositive().prefault(7 * 24 * 3600 * 1000), {
        valueType: 'positive integer (ms)',
        description:
          "how long a delete is remembered against older upserts; keep it above the changes topic's retention (see [architecture](architecture.md#tombstones-and-their-retention))",
        defaultText: '604800000 (7 days)',
      }),
    },
    { error: () => 'must be a mapping of warehouse settings' },
  )
  .superRefine(
    (warehouse, ctx) => {
      if (warehouse.staging === 'direct' && warehouse.kind === 'redshift')
        relationProblem(ctx, 'direct is only possible for postgres; Redshift loads from S3', ['staging']);
      if (
        warehouse.postgresLoad === 'aurora-s3' &&
        (warehouse.staging !== 's3' || warehouse.kind !== 'postgres')
      )
        relationProblem(
          ctx,
          'aurora-s3 needs kind: postgres and staging: s3 (Aurora loads the staged file from S3)',
          ['postgresLoad'],
        );
    },
    { when: (payload) => !hasIssueAt(payload.issues, ['kind', 'staging', 'postgresLoad']) },
  )
  .prefault({});

const flushMapping = { error: () => 'must be a mapping with maxRows, maxBytes and/or maxAgeMs' };
const flushMeaning = {
  maxRows: 'flush when this many changes are buffered for the table',
  maxBytes: 'flush when the buffered changes take this many bytes (as received)',
  maxAgeMs: 'flush when the oldest buffered change is this old',
};

/** Defaults aim at about one second from event to warehouse commit. */
export const DEFAULT_FLUSH: FlushPolicy = { maxRows: 50_000, maxBytes: 16 * 1024 * 1024, maxAgeMs: 1000 };

const defaultsSchema = z
  .object(
    {
      flush: z
        .object(
          {
            maxRows: documented(wholePositive().prefault(DEFAULT_FLUSH.maxRows), {
              valueType: 'positive integer',
              description: flushMeaning.maxRows,
            }),
            maxBytes: documented(wholePositive().prefault(DEFAULT_FLUSH.maxBytes), {
              valueType: 'positive integer (bytes)',
              description: flushMeaning.maxBytes,
              defaultText: '16777216 (16 MiB)',
            }),
            maxAgeMs: documented(wholePositive().prefault(DEFAULT_FLUSH.maxAgeMs), {
              valueType: 'positive integer (ms)',
              description: flushMeaning.maxAgeMs,
            }),
          },
          flushMapping,
        )
        .prefault({}),
    },
    { error: () => 'must be a mapping with flush' },
  )
  .prefault({});

/** A table's own flush keys fall back to `defaults.flush`, so they have no default here. */
const tableFlushSchema = z.object(
  {
    maxRows: documented(wholePositive().optional(), {
      valueType: 'positive integer',
      description: flushMeaning.maxRows,
      defaultText: '`defaults.flush.maxRows`',
    }),
    maxBytes: documented(wholePositive().optional(), {
      valueType: 'positive integer (bytes)',
      description: flushMeaning.maxBytes,
      defaultText: '`defaults.flush.maxBytes`',
    }),
    maxAgeMs: documented(wholePositive().optional(), {
      valueType: 'positive integer (ms)',
      description: flushMeaning.maxAgeMs,
      defaultText: '`defaults.flush.maxAgeMs`',
    }),
  },
  flushMapping,
);

const locksSchema = z.object(
  {
    onTimeout: documented(
      oneOf(['wait', 'cancel-blockers', 'fail'], 'wait, cancel-blockers or fail').default('wait'),
      {
        valueType: '`wait` \\| `cancel-blockers` \\| `fail`',
        description:
          'what a flush does when it times out waiting for a lock: retry with backoff, cancel the statements of older blockers (logged loudly), or stop the lane',
      },
    ),
    cancelOlderThanMs: documented(wholePositive().prefault(300_000), {
      valueType: 'positive integer (ms)',
      description: 'with `cancel-blockers`: only blocking sessions older than this are cancelled',
    }),
    terminateIdleOlderThanMs: documented(wholePositive().optional(), {
      valueType: 'positive integer (ms)',
      description:
        'with `cancel-blockers`: end sessions idle in a transaction longer than this (a cancel does nothing to them); off unless set',
      defaultText: 'off',
    }),
  },
  { error: () => 'must be a mapping with onTimeout and cancelOlderThanMs' },
);

const columnTypeSchema = z
  .string({ error: (issue) => unknownType(issue.input) })
  .transform((declared, ctx): ColumnType => {
    const type = parseColumnType(declared);
    if (!type) ctx.addIssue({ code: 'custom', message: unknownType(declared), input: declared });
    return type ?? { kind: 'text' };
  });
const unknownType = (declared: unknown) =>
  `has unknown type ${shown(declared)}; supported types: ${SUPPORTED_TYPES}`;

const VERSION_KINDS: readonly ColumnType['kind'][] = [
  'integer',
  'bigint',
  'numeric',
  'timestamp',
  'timestamptz',
];
/** Keys the relation checks read: when one of them is malformed, the checks have nothing to say. */
const RELATED_KEYS = ['name', 'columns', 'mode', 'primaryKey', 'version'];

const tableSchema = z
  .object(
    {
      name: documented(
        z
          .string({ error: (issue) => mustBeSchemaTable(issue.input) })
          .refine((name) => name.split('.').length === 2, {
            error: (issue) => mustBeSchemaTable(issue.input),
          }),
        { valueType: '`schema.table`', description: 'the name producers use in change events' },
      ),
      columns: documented(
        z
          .record(z.string(), columnTypeSchema, {
            error: () => `must be a mapping of column name to type (${SUPPORTED_TYPES})`,
          })
          .refine((columns) => Object.keys(columns).length > 0, {
            error: () => `must be a mapping of column name to type (${SUPPORTED_TYPES})`,
          }),
        {
          valueType: `mapping of column name to type: ${SUPPORTED_TYPES}`,
          description: 'the columns, in order',
        },
      ),
      primaryKey: documented(
        z.preprocess(
          (key) => (key === undefined ? [] : Array.isArray(key) ? key : [key]),
          z.array(z.unknown()),
        ),
        {
          valueType: 'column name or list of them',
          description: 'required for `merge` tables (Redshift does not enforce keys; tablelane does)',
          defaultText: 'none',
        },
      ),
      version: documented(z.unknown().optional(), {
        valueType: 'column name',
        description:
          'ordering column (integer, bigint, numeric, timestamp): the highest value wins for a key',
        defaultText: 'none',
      }),
      mode: documented(
        z
          .enum(['merge', 'append'], {
            error: (issue) => `${shown(issue.input)} is not supported; use merge or append`,
          })
          .default('merge'),
        { valueType: '`merge` \\| `append`', description: '`append` inserts every event exactly once' },
      ),
      lane: documented(
        z
          .int({ error: (issue) => `must be a partition number (0 or more), not ${shown(issue.input)}` })
          .min(0, { error: (issue) => `must be a partition number (0 or more), not ${shown(issue.input)}` })
          .optional(),
        {
          valueType: 'partition number',
          description: 'pin the table to a partition of the changes topic',
          defaultText: 'key hash',
        },
      ),
      flush: tableFlushSchema.optional(),
      locks: locksSchema.prefault({}),
      // Validated against the contract by libs/contracts (change-transforms.ts): a step may only
      // name the table's columns, which this schema cannot know until the table is parsed.
      transforms: documented(z.unknown().optional(), {
        valueType: 'list of steps: `rename`, `drop`, `cast`, `compute`, `filter`',
        description:
          'reshape each change before it is validated, in the order written (see [producing](producing.md))',
        defaultText: 'none',
      }),
    },
    { error: () => 'must be a mapping with name, columns and primaryKey' },
  )
  .superRefine(
    (table, ctx) => {
      const [schema, name] = table.name.split('.') as [string, string];
      if (!isIdentifier(schema)) relationProblem(ctx, identifierProblem('schema', schema));
      if (!isIdentifier(name)) relationProblem(ctx, identifierProblem('table', name));
      for (const column of Object.keys(table.columns))
        if (!isIdentifier(column)) relationProblem(ctx, identifierProblem('column', column));

      if (table.mode === 'merge' && table.primaryKey.length === 0)
        relationProblem(
          ctx,
          'primaryKey is required for merge tables (warehouses like Redshift do not enforce keys, so tablelane does); declare it, e.g. primaryKey: [id], or use mode: append',
        );
      for (const key of table.primaryKey) {
        const type = typeof key === 'string' ? table.columns[key] : undefined;
        if (!type) relationProblem(ctx, `primary key column ${shown(key)} is not one of its columns`);
        else if (type.kind === 'json')
          relationProblem(ctx, `primary key column ${String(key)} cannot be json`);
      }
      if (new Set(table.primaryKey).size !== table.primaryKey.length)
        relationProblem(ctx, 'primaryKey lists a column twice');

      if (table.version === undefined) return;
      const versionType = typeof table.version === 'string' ? table.columns[table.version] : undefined;
      if (!versionType)
        relationProblem(ctx, `version column ${shown(table.version)} is not one of its columns`);
      else if (!VERSION_KINDS.includes(versionType.kind))
        relationProblem(
          ctx,
          `version column ${String(table.version)} has type ${formatColumnType(versionType)}; use an integer, bigint, numeric or timestamp column`,
        );
      if (table.mode === 'append')
        relationProblem(ctx, 'a version column only applies to merge tables; remove it or use mode: merge');
    },
    { when: (payload) => !hasIssueAt(payload.issues, RELATED_KEYS) },
  );

const mustBeSchemaTable = (name: unknown) =>
  `${shown(name)} must be written schema.table, for example public.sales`;

/** The whole file. Topic defaults come from the environment, so the schema is built per call. */
export function tableFileSchema(topicDefaults: TopicSettings) {
  return z
    .object(
      {
        topics: topicsSchema(topicDefaults),
        warehouse: warehouseSchema,
        defaults: defaultsSchema,
        maxBufferedBytes: documented(wholePositive().prefault(256 * 1024 * 1024), {
          valueType: 'positive integer (bytes)',
          description:
            "memory for buffered changes across a sink's lanes; a lane over its share (the limit over the lanes owned) pauses its partition",
          defaultText: '268435456 (256 MiB)',
        }),
        tables: z
          .array(tableSchema, { error: () => 'must be a non-empty list of table contracts' })
          .min(1, { error: () => 'must be a non-empty list of table contracts' })
          .superRefine(
            (tables, ctx) => {
              if (!Array.isArray(tables)) return;
              const seen = new Set<string>();
              tables.forEach((table: unknown, index) => {
                // Runs even when a table failed, so its value may be anything: read the name only.
                const name = isMapping(table) ? table.name : undefined;
                if (typeof name !== 'string') return;
                if (seen.has(name))
                  relationProblem(
                    ctx,
                    `table ${name} is declared twice; merge the two entries into one`,
                    [index],
                    `tables[${index}]`,
                  );
                seen.add(name);
              });
            },
            { when: () => true },
          ),
        // Walked by the settings reference down to each feed's keys.
        cdc: z.array(cdcFeedSchema, { error: () => 'must be a list of CDC feeds' }).default([]),
      },
      { error: () => 'the file must be a mapping with a `tables:` list' },
    )
    .superRefine(
      (file, ctx) => {
        const ours = new Set([file.topics.ingest, file.topics.changes, file.topics.dlq]);
        file.cdc.forEach((feed, index) => {
          const at = `cdc[${index}] (${feed.name})`;
          for (const topic of feed.topics)
            if (ours.has(topic))
              relationProblem(
                ctx,
                `topic ${topic} is one of tablelane's own; name the source's topics`,
                [],
                at,
              );
          for (const binding of feed.tables) {
            const table = file.tables.find((t) => t.name === binding.table);
            if (!table)
              relationProblem(
                ctx,
                `source ${binding.source} loads ${binding.table}, which is not a declared table`,
                [],
                at,
              );
            else if (table.mode !== 'merge' || typeof table.version !== 'string')
              relationProblem(
                ctx,
                `table ${binding.table} takes a CDC feed, so it must be a merge table with a version column (bigint or numeric) that orders changes by their source position, e.g. version: source_lsn`,
                [],
                at,
              );
          }
        });
      },
      { when: (payload) => !hasIssueAt(payload.issues, ['tables', 'cdc', 'topics']) },
    );
}

export type TableFile = z.output<ReturnType<typeof tableFileSchema>>;

/** True when an issue concerns one of `keys`, or the value as a whole (then no key can be read). */
function hasIssueAt(issues: readonly { path?: PropertyKey[] }[], keys: readonly string[]): boolean {
  return issues.some((issue) => {
    const key = issue.path?.[0];
    return key === undefined || (typeof key === 'string' && keys.includes(key));
  });
}

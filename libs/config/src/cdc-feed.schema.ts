import { z } from 'zod';
import { relationProblem } from './config-issue';
import { documented } from './setting-meta';

/*
 * The `cdc:` list of the table file: change-data-capture feeds the router reads. Whether each
 * binding names a merge contract with a version column is checked with the tables, in
 * table-file.schema.ts, where both are known.
 */

const shown = (input: unknown) => JSON.stringify(input);
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const notATopic = (input: unknown) =>
  `${shown(input)} is not a valid Kafka topic name (letters, digits, . _ -)`;

const bindingSchema = z.object(
  {
    source: documented(
      z.string({ error: () => 'must be the source table as schema.table, or a topic name' }).min(1),
      {
        valueType: '`schema.table` or topic name',
        description: "the source table (Debezium's source.schema and source.table), or its topic",
      },
    ),
    table: documented(z.string({ error: () => 'must name a declared table contract (schema.table)' }), {
      valueType: '`schema.table`',
      description: 'the contract the source table loads into (a merge table with a version column)',
    }),
    undeclaredColumns: documented(
      z
        .enum(['ignore', 'dead-letter'], {
          error: (issue) => `must be ignore or dead-letter, not ${shown(issue.input)}`,
        })
        .default('ignore'),
      {
        valueType: '`ignore` \\| `dead-letter`',
        description: 'what a source column the contract does not declare does to its change',
      },
    ),
  },
  { error: () => 'must be a mapping with source and table' },
);

export const cdcFeedSchema = z
  .object(
    {
      name: documented(z.string({ error: () => 'must be a name for the feed' }).min(1), {
        valueType: 'text',
        description: 'a label for logs and metrics',
      }),
      format: documented(
        z
          .enum(['debezium'], {
            error: (issue) => `${shown(issue.input)} is not supported: use debezium`,
          })
          .default('debezium'),
        { valueType: '`debezium`', description: 'the envelope of the source topics (JSON or Avro)' },
      ),
      topics: documented(
        z
          .array(z.string().regex(TOPIC, { error: (issue) => notATopic(issue.input) }), {
            error: () => 'must be a list of topic names',
          })
          .default([]),
        {
          valueType: 'list of topic names',
          description: 'source topics the router reads',
          defaultText: 'none',
        },
      ),
      topicPattern: documented(
        z
          .string({ error: () => 'must be a regular expression over topic names' })
          .refine(
            (pattern) => {
              try {
                new RegExp(pattern);
                return true;
              } catch {
                return false;
              }
            },
            { error: (issue) => `${shown(issue.input)} is not a valid regular expression` },
          )
          .optional(),
        {
          valueType: 'regular expression',
          description: 'source topics by name (whole name matched), as they exist when the router starts',
          defaultText: 'none',
        },
      ),
      unavailableValue: documented(z.string().min(1).default('__debezium_unavailable_value'), {
        valueType: 'text',
        description:
          "the source's placeholder for a value it did not log (TOAST); such a column keeps the warehouse's value",
      }),
      tables: z
        .array(bindingSchema, { error: () => 'must be a list of {source, table} bindings' })
        .min(1, { error: () => 'must bind at least one source table to a contract' }),
    },
    { error: () => 'must be a mapping with name, topics or topicPattern, and tables' },
  )
  .superRefine((feed, ctx) => {
    if (feed.topics.length === 0 && feed.topicPattern === undefined)
      relationProblem(ctx, 'name its source topics with topics: or topicPattern:');
    const seen = new Set<string>();
    for (const binding of feed.tables) {
      if (seen.has(binding.source))
        relationProblem(ctx, `source ${binding.source} is bound twice; keep one binding`);
      seen.add(binding.source);
    }
  });

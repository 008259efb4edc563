import type { TablelaneConfig } from '@app/config';
import { ingestValueSubject } from '@app/contracts';
import {
  AvroChangeCodec,
  brokerCount,
  createMissingTopics,
  deadLetterId,
  matchesFilter,
  planTopics,
  readLedger,
  replayDeadLetters,
  replayLedgerTopic,
  scanTopic,
  summarise,
  tableOfBody,
  toDeadLetter,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterGroup,
  type KafkaAdmin,
  type KafkaClient,
  type OffsetRange,
  type RegistryConnection,
  type ReplayReport,
} from '@app/kafka';
import type { CliArgs } from './cli-args';
import { requireTopics } from './require-topics';

export interface DlqSelection {
  filter: DeadLetterFilter;
  range: OffsetRange;
}

/** `--code`, `--table`, `--stage`, `--since`/`--until` (time dead-lettered), `--partition`, `--from`/`--to` (offsets, inclusive). */
export function dlqSelection(args: CliArgs): DlqSelection {
  const partitions = args.list('partition')?.map(Number);
  return {
    filter: {
      codes: args.list('code'),
      tables: args.list('table'),
      stages: args.list('stage'),
      since: args.time('since'),
      until: args.time('until'),
    },
    range: { partitions, from: args.offset('from'), to: args.offset('to') },
  };
}

export interface DlqContext {
  config: TablelaneConfig;
  kafka: KafkaClient;
  admin: KafkaAdmin;
  registry: RegistryConnection;
}

function tableOf(ctx: DlqContext) {
  const codec = AvroChangeCodec.connect(ctx.registry, ingestValueSubject(ctx.config.topics.ingest));
  return tableOfBody((bytes) => codec.decode(bytes));
}

/** Dead letters by code, table and stage, with how many of each were replayed already. */
export async function listDeadLetters(ctx: DlqContext, selection: DlqSelection): Promise<DeadLetterGroup[]> {
  const { dlq } = ctx.config.topics;
  await requireTopics(ctx.admin, [dlq]);
  const replayed = await readLedger(ctx.kafka, ctx.admin, replayLedgerTopic(dlq));
  const letters: (DeadLetter & { replayed: boolean })[] = [];
  const decode = tableOf(ctx);
  await scanTopic(ctx.kafka, ctx.admin, dlq, selection.range, async (record) => {
    const letter = await toDeadLetter(record, decode);
    // The bodies are not needed for a summary: do not hold a large DLQ in memory.
    if (matchesFilter(letter, selection.filter))
      letters.push({
        ...letter,
        key: null,
        value: null,
        headers: {},
        replayed: replayed.has(deadLetterId(dlq, letter)),
      });
  });
  return summarise(letters);
}

/** Replays the selection (or, with dryRun, finds what it would replay), creating the ledger topic if needed. */
export async function replaySelection(
  ctx: DlqContext,
  selection: DlqSelection,
  dryRun: boolean,
): Promise<ReplayReport> {
  const { topics } = ctx.config;
  await requireTopics(ctx.admin, [topics.dlq, topics.ingest]);
  const ledger = planTopics(ctx.config, {}, await brokerCount(ctx.admin)).topics.find(
    (t) => t.role === 'replays',
  )!;
  if (!dryRun) await createMissingTopics(ctx.admin, [ledger]);
  return replayDeadLetters({
    kafka: ctx.kafka,
    admin: ctx.admin,
    topics: { dlq: topics.dlq, ingest: topics.ingest, ledger: ledger.name },
    filter: selection.filter,
    range: selection.range,
    tableOf: tableOf(ctx),
    dryRun,
  });
}

export function printGroups(groups: DeadLetterGroup[]): void {
  if (groups.length === 0) console.log('no dead letters match');
  else console.table(groups);
}

export function printReplay(report: ReplayReport, ingestTopic: string): void {
  const groups = summarise(report.replayed.map((l) => ({ ...l, replayed: false }))).map(
    ({ code, table, stage, count, first, last }) => ({ code, table, stage, count, first, last }),
  );
  const verb = report.dryRun ? 'would replay' : 'replayed';
  console.log(
    `${report.matched} dead letter(s) match; ${report.alreadyReplayed} already replayed (skipped); ` +
      `${verb} ${report.replayed.length} to ${ingestTopic}${report.dryRun ? '' : ` in ${report.transactions} transaction(s)`}`,
  );
  if (groups.length > 0) console.table(groups);
  if (report.dryRun && report.replayed.length > 0)
    console.log('dry run: nothing was written; add --yes to replay');
}

#!/usr/bin/env node
import {
  loadConfigFile,
  redactText,
  runtimeSettings,
  type RuntimeSettings,
  type TablelaneConfig,
} from '@app/config';
import { createKafka, type KafkaAdmin, type KafkaClient } from '@app/kafka';
import { buildWarehouse, type Destination } from '@app/warehouse';
import { CliArgs, UsageError } from './cli-args';
import { dlqSelection, listDeadLetters, printGroups, printReplay, replaySelection } from './dlq.command';
import { tableLag } from './lag.command';
import { currentBlockers } from './locks.command';
import { requireTopics } from './require-topics';
import { runSchema } from './schema.command';
import {
  cancelSnapshot,
  printCancel,
  printStatus,
  printSummary,
  runSnapshotCommand,
  snapshotOptions,
  snapshotStatus,
  snapshotTable,
} from './snapshot.command';
import { printTopics, runTopics, topicPlanOptions } from './topics.command';

const USAGE = `usage: tablelane <command> [options] [--json]

  lag                 per table lane: messages behind, checkpoint, owner, last commit
                      (sink group: TABLELANE_SINK_GROUP, default tablelane-sink)
  locks               sessions holding locks on tablelane's tables: those that block loads and
                      those that block its schema changes (--load-only: only the former)
  topics create       create the missing topics (ingest, changes, dlq, the lane baseline, the
                      replay ledger and the snapshot progress), then check them all; existing
                      topics are never altered
  topics check        report drift (partitions, cleanup.policy, max.message.bytes, retention)
                      with the command that fixes it; exits 1 on drift
      --ingest-partitions N (8)  --changes-partitions N (8, or more for pinned lanes)
      --dlq-partitions N (1)     --replication-factor N (3, capped to the broker count)
      --max-message-bytes N (1048588 for ingest and changes; the dlq gets 64 KiB more)
      --ingest-retention-ms N (7 d)  --changes-retention-ms N (3 d)  --dlq-retention-ms N (30 d)
  schema [--register] print the ingest Avro schema; --register registers it as <ingest>-value
  dlq ls              dead letters by code, table and stage (and how many were replayed)
  dlq replay [--yes]  re-publish dead letters to the ingest topic, exactly once each;
                      without --yes only shows what it would replay
      --code C  --table T  --stage S  (repeat or comma-separate)
      --since TIME  --until TIME  (ISO-8601 or epoch ms, when dead-lettered)
      --partition P  --from OFFSET  --to OFFSET  (inclusive)
  snapshot --table T  publish a source table onto T's lane as one full refresh, in resumable
                      chunks; run it again after a crash to resume (docs/snapshots.md)
      --source postgres|redshift (postgres)  --source-table schema.table (T) | --query "SELECT …"
      --source-url URL (postgres; else SNAPSHOT_SOURCE_URL)  --wait (wait for a running one)
      --chunk-rows N (10000)  --chunk-bytes N (4194304)  --heartbeat-ms N (10000)
      --max-file-size-mb N (256, Redshift UNLOAD)
  snapshot status     each table's latest snapshot: state, rows, rows/s, started, heartbeat age
      --table T
  snapshot cancel --table T  cancel T's running snapshot; its process stops at its next chunk

Reads the table contracts from TABLELANE_CONFIG (tablelane.yaml) and connects with the same
environment as the apps (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, PG*/DATABASE_URL).`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  const sub =
    command === 'topics' ||
    command === 'dlq' ||
    (command === 'snapshot' && ['status', 'cancel'].includes(rest[0]!))
      ? rest.shift()
      : undefined;
  const args = new CliArgs(rest);
  const json = args.flag('json');
  const config = loadConfigFile();
  const runtime = runtimeSettings();
  const print = (value: unknown, text: () => void) =>
    json ? console.log(JSON.stringify(value, bigints, 2)) : text();

  switch (`${command}${sub ? ` ${sub}` : ''}`) {
    case 'schema': {
      const register = args.flag('register');
      args.rejectUnknown();
      await runSchema(config.topics.ingest, runtime.schemaRegistry, register);
      return 0;
    }
    case 'locks':
      return withWarehouse(config, runtime, async (destination) => {
        // --ddl was needed before DDL blockers were shown by default; scripts may still pass it.
        args.flag('ddl');
        const loadsOnly = args.flag('load-only');
        args.rejectUnknown();
        const blockers = await currentBlockers(config, destination, loadsOnly);
        print(blockers, () => {
          if (blockers.length === 0) console.log('no session blocks tablelane');
          else
            console.table(
              blockers.map((b) => ({
                table: b.table,
                blocks: b.blocks,
                pid: b.pid,
                user: b.user,
                application: b.application,
                state: b.state,
                mode: b.mode,
                'transaction age (s)': b.transactionAgeSeconds?.toFixed(1),
                query: b.query?.slice(0, 60),
              })),
            );
        });
        return 0;
      });
    case 'lag':
      args.rejectUnknown();
      return withWarehouse(config, runtime, (destination) =>
        withKafka(runtime, async (kafka, admin) => {
          await requireTopics(admin, [config.topics.changes]);
          const rows = await tableLag(config, kafka, admin, destination);
          print(rows, () => console.table(rows));
          return 0;
        }),
      );
    case 'topics create':
    case 'topics check': {
      const options = topicPlanOptions(args);
      args.rejectUnknown();
      return withKafka(runtime, async (_, admin) => {
        const result = await runTopics(sub as 'create' | 'check', config, admin, options);
        print(result, () => printTopics(result));
        return result.drift.length > 0 ? 1 : 0;
      });
    }
    case 'dlq ls': {
      const selection = dlqSelection(args);
      args.rejectUnknown();
      return withKafka(runtime, async (kafka, admin) => {
        const groups = await listDeadLetters(
          { config, kafka, admin, registry: runtime.schemaRegistry },
          selection,
        );
        print(groups, () => printGroups(groups));
        return 0;
      });
    }
    case 'dlq replay': {
      const selection = dlqSelection(args);
      const yes = args.flag('yes');
      args.rejectUnknown();
      return withKafka(runtime, async (kafka, admin) => {
        const ctx = { config, kafka, admin, registry: runtime.schemaRegistry };
        const report = await replaySelection(ctx, selection, !yes);
        const { replayed, ...counts } = report;
        print(
          { ...counts, replayed: replayed.map(({ key: _k, value: _v, headers: _h, ...letter }) => letter) },
          () => printReplay(report, config.topics.ingest),
        );
        return 0;
      });
    }
    case 'snapshot': {
      const options = snapshotOptions(args, config, process.env);
      args.rejectUnknown();
      return withKafka(runtime, async (kafka, admin) => {
        const summary = await runSnapshotCommand(
          { config, runtime, kafka, admin, env: process.env },
          options,
          stopSignal(),
        );
        print(summary, () => printSummary(summary));
        return 0;
      });
    }
    case 'snapshot status': {
      const table = args.text('table');
      args.rejectUnknown();
      return withKafka(runtime, async (kafka, admin) => {
        const rows = await snapshotStatus({ config, runtime, kafka, admin, env: process.env }, table);
        print(rows, () => printStatus(rows));
        return 0;
      });
    }
    case 'snapshot cancel': {
      const { name } = snapshotTable(args, config);
      args.rejectUnknown();
      return withKafka(runtime, async (kafka, admin) => {
        const outcome = await cancelSnapshot({ config, runtime, kafka, admin, env: process.env }, name);
        print(outcome, () => printCancel(name, outcome));
        return outcome.cancelled ? 0 : 1;
      });
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify([command, sub].filter(Boolean).join(' '))}`);
  }
}

async function withKafka(
  runtime: RuntimeSettings,
  run: (kafka: KafkaClient, admin: KafkaAdmin) => Promise<number>,
): Promise<number> {
  const kafka = createKafka(runtime.kafka, 'cli');
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await run(kafka, admin);
  } finally {
    await admin.disconnect();
  }
}

async function withWarehouse(
  config: TablelaneConfig,
  runtime: RuntimeSettings,
  run: (destination: Destination) => Promise<number>,
): Promise<number> {
  // The configured warehouse, built as the sink builds it, so each command asks that
  // warehouse's catalog (pg_locks on PostgreSQL, SVV_TRANSACTIONS on Redshift). The CLI
  // only reads: it never creates tables.
  const { destination } = buildWarehouse(
    { ...config, warehouse: { ...config.warehouse, createTables: false } },
    runtime,
    process.env,
    { applicationName: 'tablelane-cli', maxConnections: 2 },
  );
  try {
    return await run(destination);
  } finally {
    await destination.close();
  }
}

/**
 * SIGTERM or SIGINT stops a snapshot after the chunk in flight, resumable; a second one ends the
 * process at once (the broker aborts its open transaction, a restart fences it sooner).
 */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    console.error(`tablelane: ${signal}: stopping after the chunk in flight (again to stop at once)`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return controller.signal;
}

/** Offsets are bigints; JSON output shows them as strings. */
function bigints(_: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`tablelane: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    const { code, retriable } = error as { code?: unknown; retriable?: unknown };
    const hint =
      typeof retriable === 'boolean' ? (retriable ? '; retrying may help' : '; retrying will not help') : '';
    console.error(
      `tablelane: ${redactText(error instanceof Error ? error.message : String(error))}${code ? ` [${String(code)}${hint}]` : ''}`,
    );
    process.exit(1);
  },
);

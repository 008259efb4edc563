import { loadConfigFile, runtimeSettings } from '@app/config';
import { createKafka, scanTopic, type KafkaAdmin, type KafkaClient } from '@app/kafka';
import type { RouterSettings } from '../router-settings';
import { rebaseline } from './lane-baseline';
import { LaneBaselineStore, partitionCount } from './lane-baseline.store';

export interface RebaselineArgs {
  drainedGroup?: string;
  force: boolean;
}

export function parseRebaselineArgs(argv: string[]): RebaselineArgs {
  const args: RebaselineArgs = { force: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') args.force = true;
    else if (argv[i] === '--drained-group') args.drainedGroup = argv[++i];
    else
      throw new Error(
        `unknown argument ${JSON.stringify(argv[i])}; usage: rebaseline --drained-group <sink consumer group> [--force]`,
      );
  }
  if (!args.drainedGroup && !args.force) {
    throw new Error(
      'usage: rebaseline --drained-group <sink consumer group>; the group proves the old lanes are drained (--force skips that proof)',
    );
  }
  return args;
}

/**
 * Records a new lane baseline for the live partition count, after proving it is safe: no
 * router is running, and the sink's group has loaded every committed change of every lane.
 * Returns the lines to print.
 */
export async function runRebaseline(args: RebaselineArgs, settings: RouterSettings): Promise<string[]> {
  const config = loadConfigFile();
  const runtime = runtimeSettings();
  const kafka = createKafka(runtime.kafka, 'rebaseline');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const changes = config.topics.changes;
    const live = await partitionCount(admin, changes);
    if (live === undefined) throw new Error(`topic ${changes} does not exist`);

    const [routers] = (await admin.describeGroups([settings.groupId])).groups;
    if (routers && routers.members.length > 0) {
      throw new Error(
        `router group ${settings.groupId} still has ${routers.members.length} member(s): stop every router first`,
      );
    }
    if (!args.force) {
      const lag = await undrained(kafka, admin, changes, args.drainedGroup!);
      if (lag.length > 0) {
        throw new Error(
          `group ${args.drainedGroup} has not loaded everything on ${changes}; wait and retry. Unloaded changes: ${lag.join(', ')}`,
        );
      }
    }

    const store = new LaneBaselineStore(kafka, admin, settings.lanesTopic ?? `${changes}.lanes`);
    const before = await store.read(changes);
    const after = rebaseline(config.tables, changes, live);
    await store.write(after);
    const lines = [
      `recorded lane baseline for ${changes}: ${before?.partitions ?? 'none'} -> ${live} partitions`,
    ];
    for (const [table, lane] of Object.entries(after.lanes)) {
      const old = before?.lanes[table];
      lines.push(
        `  ${table}: lane ${old ?? '-'} -> ${lane}${old !== undefined && old !== lane ? ' (moved)' : ''}`,
      );
    }
    return lines;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Partitions where the group has not consumed every committed change: the committed offset
 * may trail the end by transaction markers only (they are never delivered), so the records
 * past it are read to tell markers from changes.
 */
async function undrained(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  topic: string,
  groupId: string,
): Promise<string[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const from = new Map<number, bigint>();
  for (const p of await admin.fetchTopicOffsets(topic)) {
    const offset = committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1';
    const start = offset === '-1' ? BigInt(p.low) : BigInt(offset);
    if (start < BigInt(p.high)) from.set(p.partition, start);
  }
  if (from.size === 0) return [];
  const counts = new Map<number, number>();
  await scanTopic(kafka, admin, topic, { from }, ({ partition }) => {
    counts.set(partition, (counts.get(partition) ?? 0) + 1);
  });
  return [...counts].map(([partition, n]) => `partition ${partition}: ${n}`);
}

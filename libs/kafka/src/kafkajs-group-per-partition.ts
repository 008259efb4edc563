import Module, { createRequire } from 'node:module';

/**
 * Replaces kafkajs 2.2.4's groupMessagesPerPartition, which is quadratic in the messages of one
 * send: it copies a partition's whole list for every message it adds (`[...current, message]`,
 * inside a reduce that also copies the result object). A router transaction writes one fetch's
 * changes (thousands of messages) to a few lanes, so most of them go to one partition; the
 * profile of the router draining a backlog put 10.6 % of its CPU in this one function. The
 * replacement appends in place: the same groups, in the same order, in linear time.
 *
 * kafkajs's sendMessages captures the function when it loads, so this module must be imported
 * before anything imports kafkajs (kafka-client.ts does, first); it throws when it comes too
 * late rather than leave every producer on the slow path.
 */
interface GroupInput<M> {
  topic: string;
  partitionMetadata: unknown[];
  messages: M[];
  partitioner(args: { topic: string; partitionMetadata: unknown[]; message: M }): number;
}

export function groupMessagesPerPartition<M>({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: GroupInput<M>): Record<number, M[]> {
  if (partitionMetadata.length === 0) return {};
  const groups: Record<number, M[]> = {};
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (groups[partition] ??= []).push(message);
  }
  return groups;
}

function install(): void {
  const load = createRequire(__filename);
  const groupPath = load.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  const sendPath = load.resolve('kafkajs/src/producer/sendMessages.js');
  if (load.cache[groupPath]?.exports === groupMessagesPerPartition) return;
  if (load.cache[sendPath]) {
    throw new Error(
      'kafkajs was loaded before libs/kafka/src/kafkajs-group-per-partition.ts; import it first, or producers group messages in quadratic time',
    );
  }
  const module = new Module(groupPath);
  module.filename = groupPath;
  module.loaded = true;
  module.exports = groupMessagesPerPartition;
  load.cache[groupPath] = module;
}

// Importing this module is what installs the fix (see above).
install();

import Module, { createRequire } from 'node:module';

/**
 * Fixes read_committed in kafkajs 2.2.4, which can hand aborted records to a consumer.
 *
 * Its filterAbortedMessages activates at most one aborted transaction per message and
 * assumes the fetch response lists aborted transactions by first offset. Brokers list them
 * in the order of their abort markers (the transaction index), so when two producers had
 * transactions open on one partition and the later one was aborted first (exactly what a
 * SIGKILLed router leaves behind: one open transaction per input partition, fenced one by
 * one on restart), records of the other aborted transaction leak through. Reproduced against
 * Kafka 4.1: kafkajs returned an aborted record that the Java ConsoleConsumer with
 * --isolation-level read_committed does not.
 *
 * The replacement follows the Java client (Fetcher/CompletedFetch: a priority queue of
 * aborted transactions by first offset, every transaction whose first offset was reached is
 * activated, an abort marker of a producer ends its aborted run).
 *
 * kafkajs captures the function when it loads, so this module must be imported before
 * anything imports kafkajs; it throws when it comes too late rather than leave a consumer
 * silently unfixed.
 */
interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

export function filterAbortedMessages({
  messages,
  abortedTransactions,
}: {
  messages: FetchedMessage[];
  abortedTransactions?: AbortedTransaction[];
}): FetchedMessage[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = [...abortedTransactions].sort((a, b) =>
    compare(BigInt(a.firstOffset), BigInt(b.firstOffset)),
  );
  const aborted = new Set<string>();
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (pending.length > 0 && offset >= BigInt(pending[0]!.firstOffset))
      aborted.add(String(pending.shift()!.producerId));
    const producerId = String(message.batchContext.producerId);
    if (message.isControlRecord) {
      if (message.key && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) aborted.delete(producerId);
      return true;
    }
    return !(message.batchContext.inTransaction && aborted.has(producerId));
  });
}

const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

function install(): void {
  const load = createRequire(__filename);
  const filterPath = load.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  const batchPath = load.resolve('kafkajs/src/consumer/batch.js');
  if (load.cache[filterPath]?.exports === filterAbortedMessages) return;
  if (load.cache[batchPath]) {
    throw new Error(
      'kafkajs was loaded before libs/kafka/src/kafkajs-read-committed.ts; import it first, or read_committed consumers may see aborted records',
    );
  }
  const module = new Module(filterPath);
  module.filename = filterPath;
  module.loaded = true;
  module.exports = filterAbortedMessages;
  load.cache[filterPath] = module;
}

// Importing this module is what installs the fix (see above).
install();

/**
 * Kafka's murmur2 hash, bit for bit as the Java client computes it (Utils.murmur2), so a key
 * lands on the same partition whichever client produced it.
 */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length % 4;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The partition the Java client's default partitioner picks for a key. */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/**
 * The lane (partition of the changes topic) of a table: pinned in its contract, or the hash
 * of its name. Either way every change of a table lands on one partition, its only writer.
 */
export function laneOf(table: { name: string; lane?: number }, partitions: number): number {
  if (table.lane !== undefined) {
    if (table.lane >= partitions) {
      throw new Error(
        `table ${table.name} is pinned to lane ${table.lane} but the changes topic has only ${partitions} partitions`,
      );
    }
    return table.lane;
  }
  return partitionForKey(table.name, partitions);
}

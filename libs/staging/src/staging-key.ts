/**
 * The deterministic key of a staged batch: the same table, lane and offset range always map
 * to the same object, so a retry after a crash overwrites the earlier attempt.
 */
export function stagingKey(
  prefix: string,
  table: string,
  topic: string,
  partition: number,
  firstOffset: string,
  lastOffset: string,
): string {
  const pad = (offset: string) => offset.padStart(20, '0');
  return `${prefix.replace(/\/+$/, '')}/${table}/${topic}/${partition}/${pad(firstOffset)}-${pad(lastOffset)}.csv`;
}

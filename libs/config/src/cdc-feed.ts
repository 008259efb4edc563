/**
 * A CDC feed: topics a change-data-capture tool writes (Debezium, one topic per source table)
 * that the router reads besides the ingest topic, and which contract each source table loads.
 */
export interface CdcFeed {
  /** A label for logs and metrics. */
  name: string;
  format: 'debezium';
  /** Source topics, read from the start. */
  topics: string[];
  /** A regular expression (anchored) over topic names, matched when the router starts. */
  topicPattern?: string;
  /** What the source writes for a value it did not log (PostgreSQL TOAST columns). */
  unavailableValue: string;
  tables: CdcTableBinding[];
}

export interface CdcTableBinding {
  /** The source table as `schema.table` (Debezium's `source.schema`/`source.table`), or a topic name. */
  source: string;
  /** The contract it loads; its identifiers are the only ones that reach SQL. */
  table: string;
  /** What a source column the contract does not declare does: `ignore`d, or its change dead-lettered. */
  undeclaredColumns: 'ignore' | 'dead-letter';
}

/** The binding of a source table in a feed: by `schema.table` first, then by the topic name. */
export function bindingOf(
  feed: CdcFeed,
  source: { schema?: string; table?: string; topic: string },
): CdcTableBinding | undefined {
  const qualified = source.schema && source.table ? `${source.schema}.${source.table}` : undefined;
  return (
    (qualified ? feed.tables.find((t) => t.source === qualified) : undefined) ??
    feed.tables.find((t) => t.source === source.topic)
  );
}

/** Whether the feed reads `topic`: named, or its pattern matches the whole name. */
export function feedReads(feed: CdcFeed, topic: string): boolean {
  return (
    feed.topics.includes(topic) ||
    (feed.topicPattern !== undefined && new RegExp(`^(?:${feed.topicPattern})$`).test(topic))
  );
}

/** The feed that reads `topic`, when any does. */
export function feedOfTopic(feeds: readonly CdcFeed[], topic: string): CdcFeed | undefined {
  return feeds.find((feed) => feedReads(feed, topic));
}

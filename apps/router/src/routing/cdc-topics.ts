import { feedReads, type CdcFeed } from '@app/config';
import type { KafkaAdmin } from '@app/kafka';

/**
 * The source topics of the CDC feeds: those named, which must exist (a router subscribed to a
 * missing topic would wait on it silently), and those a pattern matches now. A topic created
 * later for a pattern is read after the next start.
 */
export async function cdcInputTopics(admin: KafkaAdmin, feeds: readonly CdcFeed[]): Promise<string[]> {
  if (feeds.length === 0) return [];
  const existing = await admin.listTopics();
  const present = new Set(existing);
  const named = feeds.flatMap((feed) => feed.topics);
  const missing = named.filter((topic) => !present.has(topic));
  if (missing.length > 0)
    throw new Error(
      `CDC topics ${missing.join(', ')} do not exist yet; start the connector first (it creates them), or name them with a cdc topicPattern, which matches what exists when the router starts`,
    );
  const matched = existing.filter((topic) => feeds.some((feed) => feedReads(feed, topic)));
  return [...new Set([...named, ...matched])].sort();
}

import { TablelaneError } from '@app/config';
import type { KafkaAdmin } from '@app/kafka';

/** A topic a command reads does not exist. Retrying cannot help until it is created. */
export class MissingTopics extends TablelaneError {
  readonly code = 'TOPIC_MISSING';
  readonly retriable = false;
  constructor(readonly topics: string[]) {
    super(
      `topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')} do${topics.length > 1 ? '' : 'es'} not exist on this cluster; ` +
        'check KAFKA_BROKERS and the topics: section of TABLELANE_CONFIG, or create them with `tablelane topics create`',
    );
    this.name = 'MissingTopics';
  }
}

/** Refuses up front, instead of kafkajs' "This server does not host this topic-partition". */
export async function requireTopics(admin: KafkaAdmin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) throw new MissingTopics(missing);
}

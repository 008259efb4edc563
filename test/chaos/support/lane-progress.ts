import type { Admin } from 'kafkajs';

/** A consumer group reading a topic: each partition of the topic is one lane to watch. */
export interface WatchedGroup {
  label: string;
  groupId: string;
  topic: string;
}

interface LaneState {
  committed: number;
  end: number;
  /** When the lane was last caught up or last advanced. */
  progressAt: number;
}

/**
 * Samples, once a second, the committed offset and the log end offset of every lane of the
 * watched groups, and remembers the longest time a lane stayed behind without advancing.
 * The timeline (one line per sample that changed, plus the events noted) explains a failure.
 */
export class LaneProgress {
  private readonly lanes = new Map<string, LaneState>();
  private readonly lines: string[] = [];
  private readonly startedAt = Date.now();
  private worst = { lane: '', ms: 0, at: 0 };
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private lastLine = '';

  constructor(
    private readonly admin: Admin,
    private readonly groups: WatchedGroup[],
  ) {}

  start(intervalMs = 1_000): void {
    this.timer = setInterval(() => {
      // A slow sample (broker busy) is skipped rather than queued behind the previous one.
      this.sampling ??= this.sample()
        .catch((error: Error) => this.note(`sample failed: ${error.message}`))
        .finally(() => (this.sampling = undefined));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** Adds an event (a kill, a restart) to the timeline. */
  note(event: string): void {
    this.lines.push(`${this.elapsed()} ${event}`);
  }

  /** The longest time any lane stayed behind its end offset without advancing, so far. */
  longestStall(): { lane: string; ms: number; atSecond: number } {
    return { lane: this.worst.lane, ms: this.worst.ms, atSecond: Math.round(this.worst.at / 1000) };
  }

  timeline(): string {
    return this.lines.join('\n');
  }

  private async sample(): Promise<void> {
    const now = Date.now();
    const cells: string[] = [];
    for (const { label, groupId, topic } of this.groups) {
      const [ends, committed] = await Promise.all([
        this.admin.fetchTopicOffsets(topic),
        this.admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = new Map(committed[0]!.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
      for (const { partition, high } of ends) {
        const lane = `${label}[${partition}]`;
        const next = { committed: done.get(partition) ?? 0, end: Number(high), progressAt: now };
        const previous = this.lanes.get(lane);
        if (previous && next.committed < next.end && next.committed <= previous.committed) {
          next.progressAt = previous.progressAt;
          const stalled = now - next.progressAt;
          if (stalled > this.worst.ms) this.worst = { lane, ms: stalled, at: now - this.startedAt };
        }
        this.lanes.set(lane, next);
        cells.push(`${lane} ${describe(next, now)}`);
      }
    }
    const line = cells.join(' | ');
    if (line !== this.lastLine) this.lines.push(`${this.elapsed()} ${line}`);
    this.lastLine = line;
  }

  private elapsed(): string {
    return `+${((Date.now() - this.startedAt) / 1000).toFixed(1)}s`.padStart(8);
  }
}

/** `ok` when caught up, else how far behind, and for how long without progress once it is 5 s. */
function describe(lane: LaneState, now: number): string {
  const behind = lane.end - lane.committed;
  if (behind === 0) return 'ok';
  const stalledFor = Math.round((now - lane.progressAt) / 1000);
  return stalledFor >= 5 ? `-${behind} stalled ${stalledFor}s` : `-${behind}`;
}

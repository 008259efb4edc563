import type { SnapshotProgress, SnapshotWriter } from '@app/kafka';

/**
 * The one way a run writes to Kafka: commits one at a time (a producer runs one transaction at
 * a time), and a heartbeat, the progress record alone, whenever no chunk committed for half the
 * heartbeat interval (a slow source query, a long UNLOAD), so another process never takes a live
 * run for a dead one. A heartbeat is only written while no commit is in flight, with the progress
 * as last committed: it never moves the record back.
 */
export class HeartbeatCommitter {
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private lastCommitAt: number;
  private timer?: NodeJS.Timeout;
  /** The first failure of a heartbeat (a fence, by a cancel or a newer snapshot). */
  failure?: unknown;

  constructor(
    private readonly writer: SnapshotWriter,
    private readonly heartbeatMs: number,
    readonly now: () => number,
  ) {
    this.lastCommitAt = now();
  }

  get maxEventBytes(): number {
    return this.writer.maxEventBytes;
  }

  async commit(events: readonly string[], progress: SnapshotProgress): Promise<void> {
    this.throwIfFailed();
    const attempt = this.chain.then(async () => {
      this.busy = true;
      try {
        await this.writer.commit(events, progress);
        this.lastCommitAt = this.now();
      } finally {
        this.busy = false;
      }
    });
    this.chain = attempt.catch(() => undefined);
    await attempt;
  }

  /** `current`: the progress as last committed; `onFailure`: called once a heartbeat failed. */
  startHeartbeats(current: () => SnapshotProgress, onFailure: () => void): void {
    this.timer = setInterval(
      () => {
        if (this.busy || this.failure !== undefined || this.now() - this.lastCommitAt < this.heartbeatMs / 2)
          return;
        this.commit([], { ...current(), heartbeatAt: new Date(this.now()).toISOString() }).catch(
          (error: unknown) => {
            this.failure ??= error;
            onFailure();
          },
        );
      },
      Math.max(50, this.heartbeatMs / 4),
    );
  }

  stopHeartbeats(): void {
    clearInterval(this.timer);
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Lets go of the run (owner: null): a next process resumes it at once, without waiting for staleness. */
  release(progress: SnapshotProgress): Promise<void> {
    return this.commit([], { ...progress, owner: null, heartbeatAt: new Date(this.now()).toISOString() });
  }
}

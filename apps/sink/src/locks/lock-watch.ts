import type { TableContract } from '@app/config';
import type { Logger } from '@app/observability';
import { WarehouseError, type Blocker, type Destination } from '@app/warehouse';
import type { SinkMetrics } from '../metrics/sink-metrics';

/** The table's lock policy is `fail`: the lane stops instead of waiting. */
export class LockPolicyFailure extends WarehouseError {
  readonly code = 'LOCK_POLICY_FAIL';
  readonly retriable = false;
  constructor(table: string, blockers: Blocker[]) {
    super(
      `table ${table} is locked by ${blockers.map((b) => `pid ${b.pid} (${b.user ?? '?'}, ${b.mode})`).join(', ') || 'another session'} and its lock policy is "fail"; ` +
        'release the lock or set locks.onTimeout to wait or cancel-blockers, then restart the sink',
    );
    this.name = 'LockPolicyFailure';
  }
}

export interface LockEpisode {
  table: string;
  since: string;
  ddl: boolean;
  timeouts: number;
  blockers: Blocker[];
  /** Sessions whose statement was cancelled, or that were terminated, in this episode. */
  cancelled: number[];
  /** Idle-in-transaction blockers already reported as beyond a cancel. */
  idleNoted: number[];
}

/**
 * Tracks lock-wait episodes per table: from the first lock timeout until the next successful
 * flush. Identifies the blockers, logs them once per episode, exposes them for the status page
 * and metrics, and applies the table's lock policy.
 */
export class LockWatch {
  private readonly episodes = new Map<string, LockEpisode>();

  constructor(
    private readonly destination: Destination,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
    private readonly lockTimeoutMs: number,
  ) {}

  async onLockTimeout(contract: TableContract, ddl: boolean, timeoutMs = this.lockTimeoutMs): Promise<void> {
    const blockers = await this.destination.findBlockers(contract, ddl).catch((error: unknown) => {
      this.logger.warn({ table: contract.name, err: error }, 'could not list blocking sessions');
      return [];
    });
    const labels = { table: contract.name };
    this.metrics.lockWaitSeconds.inc(labels, timeoutMs / 1000);
    this.metrics.tableBlocked.set(labels, 1);
    let episode = this.episodes.get(contract.name);
    if (!episode) {
      episode = {
        table: contract.name,
        since: new Date().toISOString(),
        ddl,
        timeouts: 0,
        blockers,
        cancelled: [],
        idleNoted: [],
      };
      this.episodes.set(contract.name, episode);
      this.metrics.blockedFlushes.inc(labels);
      this.logger.warn(
        { table: contract.name, ddl, policy: contract.locks.onTimeout, blockers },
        `loader blocked on ${contract.name} by ${blockers.length} session(s); ${contract.locks.onTimeout === 'fail' ? 'failing the lane' : 'retrying with backoff'}`,
      );
    }
    episode.timeouts++;
    episode.blockers = blockers;

    if (contract.locks.onTimeout === 'fail') throw new LockPolicyFailure(contract.name, blockers);
    if (contract.locks.onTimeout === 'cancel-blockers') {
      for (const blocker of blockers) await this.endBlocker(contract, episode, blocker);
    }
  }

  /**
   * Lock policy cancel-blockers, for one blocker: a running statement older than the threshold
   * is cancelled; a session idle in its transaction runs nothing a cancel could stop, so it is
   * terminated only where the table opts in (terminateIdleOlderThanMs), else said once. Only
   * signals that reached a session are logged and counted.
   */
  private async endBlocker(contract: TableContract, episode: LockEpisode, blocker: Blocker): Promise<void> {
    const ageMs = (blocker.transactionAgeSeconds ?? 0) * 1000;
    const { cancelOlderThanMs, terminateIdleOlderThanMs } = contract.locks;
    const labels = { table: contract.name };
    const idle = blocker.state?.startsWith('idle in transaction') ?? false;
    if (!idle) {
      if (ageMs < cancelOlderThanMs || !(await this.destination.cancelSession(blocker.pid))) return;
      episode.cancelled.push(blocker.pid);
      this.metrics.cancelledBlockers.inc(labels);
      this.logger.error(
        { table: contract.name, blocker, olderThanMs: cancelOlderThanMs },
        `CANCELLED the statement of blocking session ${blocker.pid} (${blocker.user ?? '?'}) on ${contract.name}: lock policy cancel-blockers`,
      );
      return;
    }
    if (terminateIdleOlderThanMs !== null && ageMs >= terminateIdleOlderThanMs) {
      if (!(await this.destination.terminateSession(blocker.pid))) return;
      episode.cancelled.push(blocker.pid);
      this.metrics.cancelledBlockers.inc(labels);
      this.logger.error(
        { table: contract.name, blocker, olderThanMs: terminateIdleOlderThanMs },
        `TERMINATED blocking session ${blocker.pid} (${blocker.user ?? '?'}), idle in its transaction on ${contract.name}: locks.terminateIdleOlderThanMs`,
      );
      return;
    }
    if (episode.idleNoted.includes(blocker.pid)) return;
    episode.idleNoted.push(blocker.pid);
    this.logger.warn(
      { table: contract.name, blocker },
      `blocking session ${blocker.pid} (${blocker.user ?? '?'}) is idle in its transaction on ${contract.name}: a cancel cannot end it; ` +
        'end that transaction, or set locks.terminateIdleOlderThanMs to let the loader terminate such sessions',
    );
  }

  /** The table's flush went through: the episode, if any, is over. */
  onSuccess(contract: TableContract): void {
    const episode = this.episodes.get(contract.name);
    if (!episode) return;
    this.episodes.delete(contract.name);
    this.metrics.tableBlocked.set({ table: contract.name }, 0);
    this.logger.info(
      {
        table: contract.name,
        since: episode.since,
        timeouts: episode.timeouts,
        cancelled: episode.cancelled,
      },
      `loader unblocked on ${contract.name}`,
    );
  }

  current(): LockEpisode[] {
    return [...this.episodes.values()];
  }
}

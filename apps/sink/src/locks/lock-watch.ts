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
  cancelled: number[];
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
      for (const blocker of blockers) {
        if ((blocker.transactionAgeSeconds ?? 0) * 1000 < contract.locks.cancelOlderThanMs) continue;
        const cancelled = await this.destination.cancelSession(blocker.pid);
        if (cancelled) episode.cancelled.push(blocker.pid);
        this.metrics.cancelledBlockers.inc(labels);
        this.logger.error(
          { table: contract.name, blocker, cancelled, olderThanMs: contract.locks.cancelOlderThanMs },
          `CANCELLED the statement of blocking session ${blocker.pid} (${blocker.user ?? '?'}) on ${contract.name}: lock policy cancel-blockers`,
        );
      }
    }
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

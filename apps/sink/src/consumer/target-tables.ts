import type { TableContract } from '@app/config';
import type { Logger } from '@app/observability';
import { isLockTimeout, type Destination } from '@app/warehouse';
import { withRetry } from '../flush/retry';
import type { LockWatch } from '../locks/lock-watch';
import type { SinkMetrics } from '../metrics/sink-metrics';

// unique_violation on the catalog, duplicate_schema, duplicate_table.
const CONCURRENT_CREATE = new Set(['23505', '42P06', '42P07']);

/**
 * Creates or alters each target table once per process. Lock timeouts retry with backoff (and
 * go through the table's lock policy); callers share the one attempt in progress, and a failed
 * attempt is forgotten so the next flush tries again.
 */
export class TargetTables {
  private readonly ready = new Map<string, Promise<void>>();

  constructor(
    private readonly destination: Destination,
    private readonly locks: LockWatch,
    private readonly metrics: SinkMetrics,
    private readonly logger: Logger,
    private readonly ddlLockTimeoutMs: number,
    private readonly running: () => boolean,
  ) {}

  /** The contract changed: the next ensure alters the target to match it. */
  forget(table: string): void {
    this.ready.delete(table);
  }

  ensure(contract: TableContract): Promise<void> {
    let ready = this.ready.get(contract.name);
    if (!ready) {
      ready = withRetry(() => this.destination.prepareTarget(contract), {
        shouldContinue: this.running,
        onRetry: async (error, attempt, delayMs, code) => {
          this.metrics.retries.inc({ table: contract.name, code });
          if (isLockTimeout(error)) return this.locks.onLockTimeout(contract, true, this.ddlLockTimeoutMs);
          // Two sinks creating one schema or table at once: the loser's retry finds it there.
          const level = CONCURRENT_CREATE.has(code) ? 'debug' : 'warn';
          this.logger[level](
            { table: contract.name, attempt, delayMs, code, err: error },
            'preparing the target table failed; retrying',
          );
        },
      }).then(() => this.locks.onSuccess(contract));
      ready.catch(() => this.ready.delete(contract.name));
      this.ready.set(contract.name, ready);
    }
    return ready;
  }
}

import { TablelaneError } from '@app/config';
import { errorCode, isTransient } from '@app/warehouse';

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 10_000 };

/**
 * Equal jitter: a random delay between half the exponential cap and the cap, where the cap is
 * `initialDelayMs * 2^attempt` bounded by `maxDelayMs` (so at most 10 s by default, and never
 * less than 5 s once the cap is reached). The random half keeps retrying lanes from stampeding;
 * the fixed half keeps a retry from coming back at once, which full jitter ([0, cap]) would
 * allow even after many failures.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY,
  random = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + random() * (cap / 2));
}

export interface RetryHooks {
  /** Called before each retry; may throw to stop retrying (e.g. a lock policy of `fail`). */
  onRetry(error: unknown, attempt: number, delayMs: number, code: string): void | Promise<void>;
  /** Stops retrying (e.g. the lane was revoked); the last error is thrown. */
  shouldContinue(): boolean;
}

/**
 * Retries work that is safe to repeat as a whole (a flush is: its staging key and checkpoint
 * compare-and-set make a second attempt overwrite, not duplicate). The decision reads the
 * error's `retriable` only, never its code or message: retriable errors retry without limit,
 * because giving up would mean dropping changes; a TablelaneError that is not retriable stops
 * at once (whoever raised or classified it knows a retry cannot help); anything unclassified
 * retries a few times in case the cause is outside (a missing bucket being created).
 */
export async function withRetry<T>(
  work: () => Promise<T>,
  hooks: RetryHooks,
  policy: RetryPolicy = DEFAULT_RETRY,
  permanentAttempts = 5,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const transient = isTransient(error);
      const classified = error instanceof TablelaneError;
      if (
        (classified && !transient) ||
        (!transient && attempt + 1 >= permanentAttempts) ||
        !hooks.shouldContinue()
      )
        throw error;
      const delay = backoffDelay(attempt, policy);
      await hooks.onRetry(error, attempt + 1, delay, errorCode(error));
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (!hooks.shouldContinue()) throw error;
    }
  }
}

import { createRequire } from 'node:module';

/**
 * Fixes the idle timer of kafkajs 2.2.4's RequestQueue, which makes Node 24 print
 * `TimeoutNegativeWarning: -17... is a negative number` once per process and spins a 1 ms
 * timer on every broker connection for as long as it is open.
 *
 * scheduleCheckPendingRequests computes `throttledUntil - Date.now()`; throttledUntil is -1
 * unless the broker throttled us, so with nothing pending it calls setTimeout with minus the
 * epoch. Node clamps that to 1 ms, the timer runs checkPendingRequests, which schedules the
 * next one: a busy loop that finds nothing to do (kafkajs issues #1704 and #1751, unreleased).
 *
 * The replacement keeps every case where a check is needed and drops the one where it is not:
 * requests pending behind a throttle are checked when it ends, requests pending behind the
 * in-flight limit after 10 ms as before, and an empty queue schedules nothing, because
 * push() schedules a check itself whenever it has to enqueue a request.
 *
 * A prototype patch, so it takes effect whenever it is loaded, before or after kafkajs; the
 * kafkajs client factory imports it.
 */
export interface RequestQueueTimerState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  checkPendingRequests(): void;
}

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL. */
const PENDING_RECHECK_MS = 10;

export function scheduleCheckPendingRequests(this: RequestQueueTimerState): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  let delay: number;
  if (this.pending.length > 0) delay = untilUnthrottled > 0 ? untilUnthrottled : PENDING_RECHECK_MS;
  else if (untilUnthrottled > 0) delay = untilUnthrottled;
  else return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

function install(): void {
  const load = createRequire(__filename);
  const RequestQueue = load('kafkajs/src/network/requestQueue/index.js') as {
    prototype: { scheduleCheckPendingRequests: unknown };
  };
  if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function') {
    throw new Error(
      'kafkajs RequestQueue has no scheduleCheckPendingRequests; review libs/kafka/src/kafkajs-request-queue-timer.ts for this kafkajs version',
    );
  }
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}

install();

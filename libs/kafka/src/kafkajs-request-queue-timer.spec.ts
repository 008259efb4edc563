import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleCheckPendingRequests, type RequestQueueTimerState } from './kafkajs-request-queue-timer';

function queue(pending: number, throttledUntil = -1) {
  const state: RequestQueueTimerState = {
    pending: Array.from({ length: pending }),
    throttledUntil,
    throttleCheckTimeoutId: null,
    checkPendingRequests: vi.fn(),
  };
  return state;
}

describe('RequestQueue.scheduleCheckPendingRequests', () => {
  afterEach(() => vi.useRealTimers());

  it('is the one kafkajs uses', () => {
    const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue/index.js') as {
      prototype: { scheduleCheckPendingRequests: unknown };
    };
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
  });

  it('schedules nothing for an empty, unthrottled queue (kafkajs set a negative timeout and spun every 1 ms)', () => {
    vi.useFakeTimers();
    const idle = queue(0);
    scheduleCheckPendingRequests.call(idle);
    expect(idle.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks requests pending behind the in-flight limit after 10 ms, as kafkajs does', () => {
    vi.useFakeTimers();
    const busy = queue(2);
    scheduleCheckPendingRequests.call(busy);
    vi.advanceTimersByTime(9);
    expect(busy.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(busy.checkPendingRequests).toHaveBeenCalledOnce();
    expect(busy.throttleCheckTimeoutId).toBeNull();
  });

  it('checks when a broker throttle ends, pending or not, and schedules one check at a time', () => {
    vi.useFakeTimers();
    for (const pending of [0, 1]) {
      const throttled = queue(pending, Date.now() + 500);
      scheduleCheckPendingRequests.call(throttled);
      scheduleCheckPendingRequests.call(throttled);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(499);
      expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(throttled.checkPendingRequests).toHaveBeenCalledOnce();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { formatDuration, judgeLane, type LaneHealthInput } from './lane-health';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const THRESHOLD = 60_000;
const LOCK_ERROR = '55P03 lock timeout (blocked by pid 123 analyst: SELECT ...)';

const lane = (over: Partial<LaneHealthInput> = {}): LaneHealthInput => ({
  partition: 3,
  tables: [
    { table: 'public.orders', failingSince: null, lastError: null },
    { table: 'public.items', failingSince: null, lastError: null },
  ],
  lagMessages: 0,
  progressAt: ago(1000),
  failed: null,
  ...over,
});
const failing = (forMs: number, table = 'public.orders', lastError: string | null = LOCK_ERROR) => ({
  table,
  failingSince: ago(forMs),
  lastError,
});

describe('judgeLane', () => {
  it('a lane that commits, or has nothing to do, is ok', () => {
    expect(judgeLane(lane({ lagMessages: 40 }), NOW, THRESHOLD)).toMatchObject({
      partition: 3,
      state: 'ok',
      cause: null,
      stalledReason: null,
      noProgressMs: 1000,
    });
    // Idle: no lag, so no commit for an hour is no problem.
    expect(judgeLane(lane({ progressAt: ago(3_600_000) }), NOW, THRESHOLD)).toMatchObject({
      state: 'ok',
      noProgressMs: 0,
    });
  });

  it('a table failing the same batch past the threshold stalls the lane, named with how long and the error', () => {
    const verdict = judgeLane(lane({ tables: [failing(74_000)], lagMessages: 12 }), NOW, THRESHOLD);
    expect(verdict).toMatchObject({ state: 'stalled', cause: 'failing-batch', noProgressMs: 74_000 });
    expect(verdict.stalledReason).toBe(`public.orders has failed the same batch for 74 s: ${LOCK_ERROR}`);
    // A lock follows the lane to its next owner: a restart does not help.
    expect(verdict.restartMayHelp).toBe(false);
  });

  it('a table failing for less than the threshold is still ok, but counts as no progress', () => {
    expect(judgeLane(lane({ tables: [failing(59_000)] }), NOW, THRESHOLD)).toMatchObject({
      state: 'ok',
      noProgressMs: 59_000,
    });
  });

  it('names the table failing longest and counts the others', () => {
    const verdict = judgeLane(
      lane({ tables: [failing(61_000, 'public.items'), failing(90_000), failing(5000, 'public.x')] }),
      NOW,
      THRESHOLD,
    );
    expect(verdict.stalledReason).toBe(
      `public.orders has failed the same batch for 90 s: ${LOCK_ERROR} (and 2 more tables of the lane)`,
    );
  });

  it('says so when the failure has no recorded error', () => {
    expect(
      judgeLane(lane({ tables: [failing(61_000, 'public.orders', null)] }), NOW, THRESHOLD).stalledReason,
    ).toBe('public.orders has failed the same batch for 61 s: no error recorded');
  });

  it('a lane behind whose committed offset has not moved past the threshold is stalled, and a restart may help', () => {
    const verdict = judgeLane(lane({ lagMessages: 120, progressAt: ago(75_000) }), NOW, THRESHOLD);
    expect(verdict).toMatchObject({
      state: 'stalled',
      cause: 'no-progress',
      noProgressMs: 75_000,
      restartMayHelp: true,
    });
    expect(verdict.stalledReason).toBe(
      'lane 3 (public.orders, public.items) is 120 messages behind and has not committed for 75 s',
    );
  });

  it('behind without progress while a table fails (not yet past the threshold) names that table, and is no case for a restart', () => {
    const verdict = judgeLane(
      lane({ tables: [failing(30_000)], lagMessages: 5, progressAt: ago(65_000) }),
      NOW,
      THRESHOLD,
    );
    expect(verdict).toMatchObject({ state: 'stalled', cause: 'no-progress', restartMayHelp: false });
    expect(verdict.stalledReason).toContain('public.orders has failed the same batch for 30 s');
  });

  it('a stopped lane is stalled with the runner reason, whatever its lag', () => {
    const verdict = judgeLane(
      lane({ tables: [], failed: 'lock policy fail: public.orders is locked by pid 9' }),
      NOW,
      THRESHOLD,
    );
    expect(verdict).toMatchObject({ state: 'stalled', cause: 'stopped', restartMayHelp: false });
    expect(verdict.stalledReason).toBe(
      'lane 3 was stopped: lock policy fail: public.orders is locked by pid 9',
    );
  });

  it("counts behind-without-progress from when the lane was first seen behind, not from an idle lane's old commit", () => {
    const idleThenBusy = lane({ lagMessages: 3, progressAt: ago(3_600_000) });
    expect(judgeLane(idleThenBusy, NOW, THRESHOLD, NOW - 2000)).toMatchObject({
      state: 'ok',
      noProgressMs: 2000,
    });
    expect(judgeLane(idleThenBusy, NOW, THRESHOLD, NOW - 61_000)).toMatchObject({
      state: 'stalled',
      cause: 'no-progress',
      noProgressMs: 61_000,
    });
    // A commit after the lane fell behind restarts the count.
    expect(
      judgeLane(lane({ lagMessages: 3, progressAt: ago(5000) }), NOW, THRESHOLD, NOW - 90_000).state,
    ).toBe('ok');
  });

  it('an unknown progress time is no evidence of a stall', () => {
    expect(judgeLane(lane({ lagMessages: 9, progressAt: null }), NOW, THRESHOLD).state).toBe('ok');
    expect(judgeLane(lane({ lagMessages: 9, progressAt: 'not a time' }), NOW, THRESHOLD).state).toBe('ok');
  });

  it('exactly at the threshold counts as stalled (the threshold is "for at least")', () => {
    expect(judgeLane(lane({ tables: [failing(THRESHOLD)] }), NOW, THRESHOLD).state).toBe('stalled');
  });
});

describe('formatDuration', () => {
  it.each([
    [999, '0 s'],
    [74_400, '74 s'],
    [119_999, '119 s'],
    [120_000, '2 min'],
    [7_199_000, '119 min'],
    [7_200_000, '2 h'],
  ])('%i ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

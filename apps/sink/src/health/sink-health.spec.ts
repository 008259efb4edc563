import { describe, expect, it } from 'vitest';
import type { LaneHealthInput } from './lane-health';
import { SinkHealth, type HealthSource } from './sink-health';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const settings = { stallThresholdMs: 3000, restartAfterMs: 10_000 };

const lane = (partition: number, over: Partial<LaneHealthInput> = {}): LaneHealthInput => ({
  partition,
  tables: [{ table: `s.t${partition}`, failingSince: null, lastError: null }],
  lagMessages: 0,
  progressAt: ago(100),
  failed: null,
  ...over,
});
const lockedTable = (forMs: number) => ({
  table: 's.locked',
  failingSince: ago(forMs),
  lastError: '55P03 lock timeout',
});

/** A SinkHealth over a status the test changes at will. */
function healthOf(initial: Omit<HealthSource, 'blocked'> & Partial<HealthSource> & Record<string, unknown>) {
  let status = { blocked: [], ...initial };
  const health = new SinkHealth(() => status, settings);
  return { health, set: (next: typeof initial) => (status = { blocked: [], ...next }) };
}

describe('SinkHealth', () => {
  it('/status keeps every runner field and adds state, cause, reason and seconds without progress to each lane', () => {
    const { health } = healthOf({
      owner: 'pod-a:1',
      consuming: true,
      lanes: [lane(0), lane(1, { tables: [lockedTable(4000)], lagMessages: 7 })],
    });
    const status = health.status(NOW);
    expect(status).toMatchObject({ owner: 'pod-a:1', consuming: true, stallThresholdSeconds: 3 });
    expect(status.lanes[0]).toMatchObject({
      partition: 0,
      tables: [{ table: 's.t0' }],
      state: 'ok',
      stallCause: null,
      stalledReason: null,
      noProgressSeconds: 0,
    });
    expect(status.lanes[1]).toMatchObject({
      partition: 1,
      lagMessages: 7,
      state: 'stalled',
      stallCause: 'failing-batch',
      stalledReason: 's.locked has failed the same batch for 4 s: 55P03 lock timeout',
      noProgressSeconds: 4,
    });
  });

  it('readiness lists one reason per stalled lane, and none when all progress', () => {
    const { health, set } = healthOf({ consuming: true, lanes: [lane(0), lane(1)] });
    expect(health.stalledLanes(NOW)).toEqual([]);
    set({
      consuming: true,
      lanes: [lane(0, { failed: 'fenced by pod-b' }), lane(1, { tables: [lockedTable(3500)] }), lane(2)],
    });
    expect(health.stalledLanes(NOW)).toEqual([
      'lane 0 was stopped: fenced by pod-b',
      's.locked has failed the same batch for 3 s: 55P03 lock timeout',
    ]);
  });

  it('liveness ignores a lane stalled by a lock, however long: a restart would only move it', () => {
    const { health } = healthOf({ consuming: true, lanes: [lane(0, { tables: [lockedTable(3_600_000)] })] });
    health.markConsuming();
    expect(health.stalledLanes(NOW)).toHaveLength(1);
    expect(health.livenessProblems(NOW)).toEqual([]);
  });

  it('liveness fails for a lane behind with nothing failing, only past the restart bound', () => {
    const { health } = healthOf({
      consuming: true,
      lanes: [lane(4, { lagMessages: 50, progressAt: ago(3_600_000) })],
    });
    // First seen behind 10 s before NOW (the monitor asks every second).
    expect(health.stalledLanes(NOW - 10_000)).toEqual([]);
    expect(health.stalledLanes(NOW - 1000)).toHaveLength(1);
    expect(health.livenessProblems(NOW - 1000)).toEqual([]);
    expect(health.livenessProblems(NOW)).toEqual([
      'lane 4 (s.t4) is 50 messages behind and has not committed for 10 s; no table reports an error, so the consumer looks wedged',
    ]);
  });

  it('a lane idle for an hour is not stalled the moment a change arrives: behind counts from when it was first seen behind', () => {
    const { health, set } = healthOf({ consuming: true, lanes: [lane(2, { progressAt: ago(3_600_000) })] });
    expect(health.stalledLanes(NOW - 5000)).toEqual([]);
    set({ consuming: true, lanes: [lane(2, { lagMessages: 3, progressAt: ago(3_600_000) })] });
    expect(health.stalledLanes(NOW - 2000)).toEqual([]);
    expect(health.stalledLanes(NOW)).toEqual([]);
    expect(health.stalledLanes(NOW + 1000)).toEqual([
      'lane 2 (s.t2) is 3 messages behind and has not committed for 3 s',
    ]);
    // Caught up, then behind again: the count starts over.
    set({ consuming: true, lanes: [lane(2, { progressAt: ago(3_600_000) })] });
    expect(health.stalledLanes(NOW + 2000)).toEqual([]);
    set({ consuming: true, lanes: [lane(2, { lagMessages: 1, progressAt: ago(3_600_000) })] });
    expect(health.stalledLanes(NOW + 3000)).toEqual([]);
  });

  it('a table failing behind a lock names who holds it, as the lock watch found them', () => {
    const { health } = healthOf({
      consuming: true,
      lanes: [lane(1, { tables: [lockedTable(4000)] })],
      blocked: [
        {
          table: 's.locked',
          blockers: [
            {
              pid: 123,
              user: 'alice',
              mode: 'AccessExclusiveLock',
              query: `LOCK TABLE s.locked; ${'x'.repeat(100)}`,
            },
            { pid: 124, user: null, mode: 'ShareLock', query: null },
            { pid: 125, user: 'bob', mode: 'ShareLock', query: 'SELECT 1' },
          ],
        },
        { table: 's.other', blockers: [{ pid: 9, user: 'carol', mode: 'ShareLock', query: 'SELECT 2' }] },
      ],
    });
    expect(health.stalledLanes(NOW)).toEqual([
      `s.locked has failed the same batch for 4 s: 55P03 lock timeout (blocked by pid 123 (alice, AccessExclusiveLock: LOCK TABLE s.locked; ${'x'.repeat(59)}…), pid 124 (unknown user, ShareLock) and 1 more)`,
    ]);
  });

  it('liveness fails when the consumer stopped after it had started, but not while starting or stopping', () => {
    const { health } = healthOf({ consuming: false, lanes: [] });
    // Still starting: the startup probe shares /healthz and must pass.
    expect(health.livenessProblems(NOW)).toEqual([]);
    health.markConsuming();
    expect(health.livenessProblems(NOW)).toEqual(['the Kafka consumer stopped; a restart rejoins the group']);
    health.markStopping();
    expect(health.livenessProblems(NOW)).toEqual([]);
  });
});

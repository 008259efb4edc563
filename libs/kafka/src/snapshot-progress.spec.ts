import { describe, expect, it } from 'vitest';
import {
  heartbeatStale,
  heldByLiveProcess,
  parseSnapshotProgress,
  type SnapshotProgress,
} from './snapshot-progress';

const progress: SnapshotProgress = {
  run: 'app.items@20260131T120000Z-a1b2c3',
  table: 'app.items',
  state: 'running',
  lastKey: { id: '42' },
  rows: 42,
  startedAt: '2026-01-31T12:00:00.000Z',
  heartbeatAt: '2026-01-31T12:00:10.000Z',
  heartbeatMs: 10_000,
  owner: { host: 'job-abc', pid: 7 },
  source: { kind: 'postgres', server: 'db:5432/app', table: 'app.items' },
};
const at = (iso: string) => Date.parse(iso);

describe('snapshot progress', () => {
  it('takes a running snapshot for dead after two heartbeat intervals without one', () => {
    expect(heartbeatStale(progress, at('2026-01-31T12:00:29.999Z'))).toBe(false);
    expect(heartbeatStale(progress, at('2026-01-31T12:00:30.000Z'))).toBe(true);
    expect(heldByLiveProcess(progress, at('2026-01-31T12:00:20.000Z'))).toBe(true);
    expect(heldByLiveProcess(progress, at('2026-01-31T12:00:31.000Z'))).toBe(false);
  });

  it('counts a run let go of (owner null), finished or cancelled as held by no one', () => {
    const now = at('2026-01-31T12:00:11.000Z');
    expect(heldByLiveProcess({ ...progress, owner: null }, now)).toBe(false);
    expect(heldByLiveProcess({ ...progress, state: 'done' }, now)).toBe(false);
    expect(heldByLiveProcess({ ...progress, state: 'cancelled' }, now)).toBe(false);
    expect(heldByLiveProcess(undefined, now)).toBe(false);
  });

  it('reads a record back as written, with a position for file sources, and refuses others', () => {
    const withPosition = { ...progress, position: { file: 2, row: 3120 }, total: 50_000 };
    expect(parseSnapshotProgress(JSON.stringify(withPosition), 't')).toEqual(withPosition);
    expect(
      parseSnapshotProgress(JSON.stringify({ ...progress, lastKey: null, owner: null }), 't').owner,
    ).toBeNull();
    expect(() =>
      parseSnapshotProgress(JSON.stringify({ ...progress, state: 'paused' }), 'x.snapshots'),
    ).toThrow(/x.snapshots holds a snapshot progress record that is not one/);
    expect(() => parseSnapshotProgress(JSON.stringify({ ...progress, rows: '42' }), 't')).toThrow();
    expect(() =>
      parseSnapshotProgress(JSON.stringify({ ...progress, position: { file: 1 } }), 't'),
    ).toThrow();
  });
});

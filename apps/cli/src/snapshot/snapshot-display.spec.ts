import type { SnapshotProgress } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatProgressLine,
  RateMeter,
  statusRow,
  terminalReporter,
} from './snapshot-display';

const progress: SnapshotProgress = {
  run: 'app.items@20260131T120000Z-a1b2c3',
  table: 'app.items',
  state: 'running',
  lastKey: null,
  rows: 0,
  startedAt: '2026-01-31T12:00:00.000Z',
  heartbeatAt: '2026-01-31T12:00:00.000Z',
  heartbeatMs: 10_000,
  owner: { host: 'job-abc', pid: 7 },
  source: { kind: 'postgres', server: 'db:5432/app', table: 'app.items' },
};

describe('snapshot progress display', () => {
  it('formats durations as m:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(62.4)).toBe('1:02');
    expect(formatDuration(3723)).toBe('1:02:03');
  });

  it('draws a bar with the share, rows, rate and ETA, and just rows and rate without a total', () => {
    expect(
      formatProgressLine({
        table: 'app.items',
        rows: 26_050,
        total: 50_000,
        rowsPerSecond: 12_345.6,
        etaSeconds: 1.9,
      }),
    ).toBe('app.items [#############-----------]  52.1%  26,050/50,000 rows  12,346 rows/s  ETA 0:02');
    expect(formatProgressLine({ table: 'app.items', rows: 120, rowsPerSecond: 60 })).toBe(
      'app.items  120 rows  60 rows/s',
    );
    // An estimate below the rows read keeps the bar full, never past it.
    expect(formatProgressLine({ table: 't', rows: 12, total: 10, rowsPerSecond: 0 })).toContain(
      `[${'#'.repeat(24)}] 100.0%`,
    );
  });

  it("measures this process's rate from the rows it found at its start (a resumed run's are not its own)", () => {
    let now = 1_000;
    const meter = new RateMeter(() => now);
    meter.figures({ ...progress, rows: 40_000, total: 100_000 });
    now = 3_000;
    expect(meter.figures({ ...progress, rows: 50_000, total: 100_000 })).toEqual({
      table: 'app.items',
      rows: 50_000,
      total: 100_000,
      rowsPerSecond: 5_000,
      etaSeconds: 10,
    });
  });

  it('redraws the terminal line at most four times a second, and always at the end', () => {
    let now = 0;
    const written: string[] = [];
    const reporter = terminalReporter({ write: (text: string) => written.push(text) } as never, () => now);
    reporter.started(progress, false);
    for (let rows = 1; rows <= 10; rows++) {
      now += 50;
      reporter.progressed({ ...progress, rows });
    }
    reporter.finished({ ...progress, rows: 10 });
    const lines = written.filter((w) => w.startsWith('\r'));
    expect(lines.length).toBe(4); // at 0 ms, 250 ms, 500 ms, and the end
    expect(lines.at(-1)).toContain('10 rows');
    expect(written.at(-1)).toBe('\n');
  });

  it('shows a status row: the whole run rate, the heartbeat age and the owner', () => {
    const row = statusRow(
      { ...progress, rows: 30_000, heartbeatAt: '2026-01-31T12:00:10.000Z', total: 50_000 },
      Date.parse('2026-01-31T12:00:12.340Z'),
    );
    expect(row).toEqual({
      table: 'app.items',
      run: progress.run,
      state: 'running',
      rows: 30_000,
      total: 50_000,
      rowsPerSecond: 3_000,
      startedAt: progress.startedAt,
      heartbeatAgeSeconds: 2.3,
      owner: 'pid 7 on job-abc',
    });
  });
});

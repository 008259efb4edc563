import { parseConfig } from '@app/config';
import { DEFAULT_VALUE_RULES } from '@app/contracts';
import { SnapshotFenced, type SnapshotProgress, type SnapshotWriter } from '@app/kafka';
import type { SnapshotResume, SnapshotSource, SnapshotSourceRow } from '@app/warehouse';
import { describe, expect, it } from 'vitest';
import { runSnapshot, type SnapshotReporter, type SnapshotRun } from './run-snapshot';
import { SnapshotRefused, SnapshotRowRejected, SnapshotStopped } from './snapshot-errors';

const config = parseConfig({
  tables: [{ name: 'app.items', columns: { id: 'bigint', name: 'varchar(8)' }, primaryKey: ['id'] }],
});
const contract = config.tables[0]!;
const NOW = Date.parse('2026-01-31T12:00:00.000Z');
const SOURCE = { kind: 'postgres', server: 'db:5432/app', table: 'app.items' };

/** The lane and the progress topic as committed transactions left them. */
class FakeKafka {
  transactions: { events: string[]; progress: SnapshotProgress }[] = [];
  /** What an uncommitted read sees on top (a live process's open transaction). */
  uncommitted?: SnapshotProgress;
  fenceAfter = Infinity;

  get latest(): SnapshotProgress | undefined {
    return this.transactions.at(-1)?.progress;
  }

  get lane(): { op: string; [k: string]: unknown }[] {
    return this.transactions.flatMap((t) => t.events.map((e) => JSON.parse(e) as { op: string }));
  }

  writer(): SnapshotWriter {
    return {
      maxEventBytes: 1000,
      commit: async (events, progress) => {
        if (this.transactions.length >= this.fenceAfter)
          throw new SnapshotFenced('app.items', new Error('fenced'));
        this.transactions.push({ events: [...events], progress: structuredClone(progress) });
      },
      close: async () => undefined,
    };
  }
}

/** Rows with ids 1..n in key order, resumable after any key. */
function fakeSource(
  rows: Record<string, unknown>[],
  onRow?: (row: Record<string, unknown>) => void,
): SnapshotSource {
  return {
    description: SOURCE,
    prepare: async () => ({ total: rows.length }),
    async *rows(resume?: SnapshotResume): AsyncGenerator<SnapshotSourceRow> {
      const after = resume?.lastKey ? BigInt(resume.lastKey.id!) : 0n;
      for (const row of rows) {
        if (BigInt(String(row.id)) <= after) continue;
        onRow?.(row);
        yield { row };
      }
    },
    close: async () => undefined,
  };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), name: `n${i + 1}` }));
const silent: SnapshotReporter = { started() {}, waiting() {}, progressed() {}, finished() {} };

function run(
  kafka: FakeKafka,
  source: SnapshotSource,
  overrides: Partial<SnapshotRun> = {},
): Promise<unknown> {
  return runSnapshot({
    config,
    contract,
    rules: DEFAULT_VALUE_RULES,
    limits: { chunkRows: 4, chunkBytes: 1 << 20, heartbeatMs: 60_000 },
    progress: async (isolation) =>
      isolation === 'uncommitted' ? (kafka.uncommitted ?? kafka.latest) : kafka.latest,
    openWriter: async () => kafka.writer(),
    source: () => source,
    wait: false,
    owner: { host: 'here', pid: 1 },
    reporter: silent,
    stop: new AbortController().signal,
    now: () => NOW,
    ...overrides,
  });
}

describe('runSnapshot', () => {
  it('writes begin, every row once in chunks of one transaction each, then end with the count', async () => {
    const kafka = new FakeKafka();
    const summary = await run(kafka, fakeSource(items(10)));
    expect(kafka.transactions.map((t) => t.events.length)).toEqual([1, 4, 4, 3]);
    const lane = kafka.lane;
    const run_ = String(lane[0]!.snapshot);
    expect(run_).toMatch(/^app\.items@20260131T120000Z-[0-9a-f]{6}$/);
    expect(lane[0]).toEqual({ table: 'app.items', op: 'snapshot-begin', snapshot: run_, ts: NOW });
    expect(lane[1]).toEqual({
      table: 'app.items',
      op: 'upsert',
      row: { id: '1', name: 'n1' },
      snapshot: run_,
    });
    expect(lane.filter((e) => e.op === 'upsert').map((e) => (e.row as { id: string }).id)).toEqual(
      items(10).map((r) => r.id),
    );
    expect(lane.at(-1)).toEqual({ table: 'app.items', op: 'snapshot-end', snapshot: run_, rows: 10 });
    expect(kafka.transactions.map((t) => [t.progress.state, t.progress.rows, t.progress.lastKey])).toEqual([
      ['running', 0, null],
      ['running', 4, { id: '4' }],
      ['running', 8, { id: '8' }],
      ['done', 10, { id: '10' }],
    ]);
    expect(kafka.latest).toMatchObject({ owner: null, total: 10, source: SOURCE });
    expect(summary).toMatchObject({ state: 'done', rows: 10, resumed: false, rowsWritten: 10 });
  });

  it('ends a chunk early when its events would pass the byte limit', async () => {
    const kafka = new FakeKafka();
    await run(kafka, fakeSource(items(6)), {
      limits: { chunkRows: 100, chunkBytes: 200, heartbeatMs: 60_000 },
    });
    const sizes = kafka.transactions
      .slice(1)
      .map((t) => t.events.reduce((n, e) => n + Buffer.byteLength(e), 0));
    expect(sizes.slice(0, -1).every((size) => size <= 200)).toBe(true);
    expect(kafka.lane.filter((e) => e.op === 'upsert')).toHaveLength(6);
  });

  it('resumes a run whose process died after its last committed key: same run, no second begin', async () => {
    // A process that committed 4 rows, then died holding the run (owner set, heartbeat old).
    const first = new FakeKafka();
    await expect(
      run(first, fakeSource(items(10)), {
        openWriter: async () => ({ ...first.writer(), commit: crashAfter(first, 2) }),
      }),
    ).rejects.toThrow('killed');
    expect(first.latest).toMatchObject({ rows: 4, owner: { host: 'here', pid: 1 } });
    first.transactions.at(-1)!.progress.heartbeatAt = new Date(NOW - 5 * 60_000).toISOString();
    const resumed = (await run(first, fakeSource(items(10)))) as {
      resumed: boolean;
      rows: number;
      rowsWritten: number;
    };
    const lane = first.lane;
    expect(lane.filter((e) => e.op === 'snapshot-begin')).toHaveLength(1);
    expect(lane.filter((e) => e.op === 'upsert').map((e) => (e.row as { id: string }).id)).toEqual(
      items(10).map((r) => r.id),
    );
    expect(new Set(lane.map((e) => e.snapshot)).size).toBe(1);
    expect(lane.at(-1)).toMatchObject({ op: 'snapshot-end', rows: 10 });
    expect(resumed).toMatchObject({ resumed: true, rows: 10, rowsWritten: 6 });
  });

  it('refuses while a live process holds the table, naming it and how to cancel; waits with --wait', async () => {
    const kafka = new FakeKafka();
    kafka.uncommitted = {
      run: 'app.items@20260131T115900Z-000000',
      table: 'app.items',
      state: 'running',
      lastKey: null,
      rows: 123,
      startedAt: '2026-01-31T11:59:00.000Z',
      heartbeatAt: new Date(NOW - 3_000).toISOString(),
      heartbeatMs: 10_000,
      owner: { host: 'job-1', pid: 42 },
      source: SOURCE,
    };
    const refused = await run(kafka, fakeSource(items(3))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SnapshotRefused);
    expect((refused as Error).message).toMatch(
      /a snapshot of app\.items is running since 2026-01-31T11:59:00\.000Z \(run .*, pid 42 on job-1, 123 rows so far, last heartbeat 3\.0 s ago\).*tablelane snapshot cancel --table app\.items/,
    );
    expect(kafka.transactions).toHaveLength(0);
    // --wait: polls every heartbeat of the other run until it ends, then goes on.
    kafka.uncommitted = { ...kafka.uncommitted, heartbeatMs: 20, heartbeatAt: new Date(NOW).toISOString() };
    let polls = 0;
    await run(kafka, fakeSource(items(3)), {
      wait: true,
      progress: async () => (polls++ < 2 ? kafka.uncommitted : kafka.latest),
    });
    expect(polls).toBeGreaterThan(2);
    expect(kafka.latest).toMatchObject({ state: 'done', rows: 3 });
  });

  it('stops at a row the contract refuses, naming its key; the chunks before stay and the run is let go', async () => {
    const kafka = new FakeKafka();
    const rows = [...items(5), { id: '6', name: 'far too long' }, ...items(8).slice(6)];
    const error = await run(kafka, fakeSource(rows)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotRowRejected);
    expect((error as SnapshotRowRejected).code).toBe('INVALID_VALUE');
    expect((error as Error).message).toMatch(/app\.items with key \{"id":"6"\}.*row\.name.*varchar\(8\)/);
    expect(kafka.latest).toMatchObject({ state: 'running', rows: 4, lastKey: { id: '4' }, owner: null });
  });

  it('stops after the chunk in flight on a signal, resumable, and lets go of the run', async () => {
    const kafka = new FakeKafka();
    const stop = new AbortController();
    const error = await run(
      kafka,
      fakeSource(items(10), (row) => row.id === '6' && stop.abort()),
      {
        stop: stop.signal,
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotStopped);
    expect((error as SnapshotStopped).retriable).toBe(true);
    expect((error as Error).message).toMatch(/after 4 rows committed .*run the same command again/);
    expect(kafka.latest).toMatchObject({ state: 'running', rows: 4, owner: null });
  });

  it('refuses to resume a run that read another source, unless it committed no row yet', async () => {
    const kafka = new FakeKafka();
    kafka.transactions.push({
      events: [],
      progress: {
        run: 'app.items@20260131T115900Z-000000',
        table: 'app.items',
        state: 'running',
        lastKey: { id: '2' },
        rows: 2,
        startedAt: '2026-01-31T11:59:00.000Z',
        heartbeatAt: '2026-01-31T11:59:00.000Z',
        heartbeatMs: 10_000,
        owner: null,
        source: { ...SOURCE, table: 'other.items' },
      },
    });
    await expect(run(kafka, fakeSource(items(3)))).rejects.toThrow(
      /reads postgres other\.items, not postgres app\.items: run it with the same source/,
    );
    kafka.transactions[0]!.progress = { ...kafka.transactions[0]!.progress, rows: 0, lastKey: null };
    await run(kafka, fakeSource(items(3)));
    expect(kafka.latest).toMatchObject({ state: 'done', rows: 3, source: SOURCE });
  });

  it('says so when a cancel fenced it', async () => {
    const kafka = new FakeKafka();
    kafka.fenceAfter = 2;
    const cancelled = { state: 'cancelled' as const };
    const error = await run(kafka, fakeSource(items(10)), {
      progress: async (isolation) =>
        isolation === 'committed' && kafka.transactions.length >= 2
          ? { ...kafka.latest!, ...cancelled }
          : kafka.latest,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SnapshotStopped);
    expect((error as Error).message).toMatch(/was cancelled \(tablelane snapshot cancel\) after 4 rows/);
  });
});

/** A commit that fails for good once `n` transactions committed: nothing after, not even letting go. */
function crashAfter(kafka: FakeKafka, n: number): SnapshotWriter['commit'] {
  const commit = kafka.writer().commit;
  return async (events, progress) => {
    if (kafka.transactions.length >= n) throw new Error('killed');
    await commit(events, progress);
  };
}

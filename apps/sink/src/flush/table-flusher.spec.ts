import { parseConfig, type TableContract } from '@app/config';
import {
  classifyPostgresError,
  FencedError,
  type ApplyResult,
  type CheckpointRow,
  type Destination,
  type LaneClaim,
  type StagedBatch,
} from '@app/warehouse';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { decodeCsv } from '../../../../test/support/csv';
import type { BufferedChange } from '../lane/buffered-change';
import { Lane } from '../lane/lane';
import { TableLane } from '../lane/table-lane';
import { LockWatch } from '../locks/lock-watch';
import { SinkMetrics } from '../metrics/sink-metrics';
import { BatchStager } from './batch-stager';
import type { RefusedChange } from './table-flush';
import { TableFlusher } from './table-flusher';

const [contract] = parseConfig({
  tables: [{ name: 'public.events', mode: 'append', columns: { id: 'bigint', note: 'text' } }],
}).tables;

const change = (offset: number, note = `n${offset}`): BufferedChange => ({
  offset,
  change: { table: 'public.events', op: 'upsert', values: { id: String(offset), note } },
  bytes: 10,
  receivedAt: 0,
  raw: { key: null, value: Buffer.from(`{"offset":${offset}}`) },
});

/** What a PostgreSQL destination throws for a refused value: the driver's error, classified by its SQLSTATE. */
const dataError = (message: string) =>
  classifyPostgresError(Object.assign(new Error(message), { code: '22007' }), false);

/**
 * A warehouse in memory with PostgreSQL's rules for what the flusher relies on: a checkpoint
 * compare-and-set on (epoch, last offset), a transaction that applies all or nothing, and a
 * row whose note is 'bad' refused with SQLSTATE 22007.
 */
class FakeWarehouse implements Destination {
  rows: string[] = [];
  checkpoint: CheckpointRow = {
    topic: 'changes',
    partition: 0,
    lastOffset: -1,
    epoch: 1,
    owner: 'us',
    committedAt: null,
  };
  /** Errors thrown by the next applyBatch calls, before (or, with `afterCommit`, after) committing. */
  failures: { error: unknown; afterCommit?: boolean }[] = [];
  probes = 0;

  async applyBatch(batch: StagedBatch): Promise<ApplyResult> {
    const failure = this.failures.shift();
    if (failure && !failure.afterCommit) throw failure.error;
    if (batch.claim.epoch !== this.checkpoint.epoch || batch.claim.lastOffset !== this.checkpoint.lastOffset)
      throw new FencedError(batch.contract.name, batch.partition, batch.claim.epoch);
    const notes = await this.load(batch);
    if (notes.includes('bad')) throw dataError('invalid input syntax for type date: "bad"');
    this.rows.push(...notes);
    this.checkpoint = { ...this.checkpoint, lastOffset: batch.nextOffset };
    if (failure?.afterCommit) throw failure.error;
    return { alreadyCommitted: false };
  }

  async probeBatch(batch: StagedBatch): Promise<unknown> {
    this.probes++;
    const notes = await this.load(batch);
    return notes.includes('bad') ? dataError('invalid input syntax for type date: "bad"') : undefined;
  }

  async readCheckpoints(): Promise<CheckpointRow[]> {
    return [this.checkpoint];
  }

  async claimLane(): Promise<LaneClaim> {
    this.checkpoint = { ...this.checkpoint, epoch: this.checkpoint.epoch + 1 };
    return { epoch: this.checkpoint.epoch, lastOffset: this.checkpoint.lastOffset };
  }

  private async load(batch: StagedBatch): Promise<string[]> {
    let text = '';
    for await (const chunk of await batch.openStagedData()) text += chunk;
    return decodeCsv(text).map((values) => values[1]!);
  }

  readSnapshotRuns = async () => [];
  prepareState = async () => undefined;
  prepareTarget = async () => undefined;
  prepareTable = async () => undefined;
  findBlockers = async () => [];
  cancelSession = async () => false;
  terminateSession = async () => false;
  ping = async () => true;
  close = async () => undefined;
}

function setup(options: { owner?: boolean; current?: boolean } = {}) {
  const warehouse = new FakeWarehouse();
  const metrics = new SinkMetrics();
  const logger = pino({ level: 'silent' });
  const lane = new Lane('changes', 0, 1);
  const table = new TableLane(contract as TableContract, { lastOffset: -1, epoch: 1 });
  lane.tables.set(table.contract.name, table);
  const deadLetters: RefusedChange[] = [];
  const stopped: string[] = [];
  const asked: string[] = [];
  const flusher = new TableFlusher({
    destination: warehouse,
    stager: new BatchStager(undefined, ''),
    metrics,
    logger,
    locks: new LockWatch(warehouse, metrics, logger, 1000),
    ownerId: 'us',
    ensureTarget: async () => undefined,
    deadLetter: async (_lane, refused) => void deadLetters.push(...refused),
    isCurrent: () => options.current ?? true,
    stillOwner: async () => {
      asked.push('stillOwner');
      return options.owner ?? true;
    },
    stop: (_lane, reason) => void stopped.push(reason),
  });
  const load = (...offsets: number[]) => {
    for (const offset of offsets) table.add(change(offset, offset === 13 ? 'bad' : `n${offset}`));
    lane.advance(Math.max(...offsets));
  };
  const flush = async () => {
    table.flushing = true;
    await flusher.flush(lane, table);
  };
  return { warehouse, lane, table, flush, load, deadLetters, stopped, asked };
}

describe('TableFlusher', () => {
  it('commits the batch and moves the checkpoint to the last offset taken', async () => {
    const { warehouse, table, flush, load } = setup();
    load(0, 1, 2);
    await flush();
    expect(warehouse.rows).toEqual(['n0', 'n1', 'n2']);
    expect(table.checkpoint).toBe(2);
    expect(table.flushing).toBe(false);
  });

  it('keeps a failed batch for the next attempt and reports since when it fails', async () => {
    const { warehouse, table, flush, load } = setup();
    load(0, 1);
    warehouse.failures.push({ error: Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }) });
    await flush();
    expect(warehouse.rows).toEqual([]);
    expect(table.failure).toMatchObject({ code: 'ECONNRESET', attempts: 1 });
    expect(table.buffer.map((c) => c.offset)).toEqual([0, 1]);
    table.failure!.retryAt = 0;
    await flush();
    expect(warehouse.rows).toEqual(['n0', 'n1']);
    expect(table.failure).toBeUndefined();
  });

  it('dead-letters exactly the change the warehouse refuses and loads every other one', async () => {
    const { warehouse, table, flush, load, deadLetters } = setup();
    load(...Array.from({ length: 40 }, (_, i) => i));
    await flush();
    expect(deadLetters.map((r) => [r.change.offset, r.code])).toEqual([[13, '22007']]);
    expect(deadLetters[0]!.message).toContain('invalid input syntax');
    expect(warehouse.rows).toHaveLength(39);
    expect(warehouse.rows).not.toContain('bad');
    expect(table.checkpoint).toBe(39);
    // Bisection, not one probe per change.
    expect(warehouse.probes).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(40)) + 1);
  });

  it('treats a fencing that shows our own epoch and target offset as the commit it was (ambiguous COMMIT)', async () => {
    const { warehouse, table, flush, load, stopped } = setup();
    load(0, 1);
    warehouse.failures.push({ error: new Error('Connection terminated unexpectedly'), afterCommit: true });
    await flush();
    expect(table.failure).toBeDefined();
    // The retry of the same batch is fenced by our own commit: done, not fenced.
    table.failure!.retryAt = 0;
    await flush();
    expect(warehouse.rows).toEqual(['n0', 'n1']);
    expect(table.failure).toBeUndefined();
    expect(table.checkpoint).toBe(1);
    expect(stopped).toEqual([]);
  });

  it('after a lost commit reply, applies only what the commit did not cover, even with newer changes buffered', async () => {
    const { warehouse, table, flush, load, stopped } = setup();
    load(0, 1);
    warehouse.failures.push({ error: new Error('Connection terminated unexpectedly'), afterCommit: true });
    await flush();
    load(2);
    table.failure!.retryAt = 0;
    await flush(); // fenced by our own commit at 1: adopts it
    expect(table.buffer.map((c) => c.offset)).toEqual([2]);
    table.failure!.retryAt = 0;
    await flush();
    expect(warehouse.rows).toEqual(['n0', 'n1', 'n2']);
    expect(stopped).toEqual([]);
  });

  it('claims the table back when a stale process out-claimed it while the group says the lane is ours', async () => {
    const { warehouse, table, flush, load, stopped } = setup({ owner: true });
    load(0, 1);
    // A zombie claims (epoch 2) and applies offsets 0..1 itself.
    warehouse.checkpoint = { ...warehouse.checkpoint, epoch: 2, lastOffset: 1 };
    warehouse.rows.push('n0', 'n1');
    await flush();
    expect(stopped).toEqual([]);
    expect(table.claim.epoch).toBe(3);
    expect(table.buffer).toEqual([]);
    load(2);
    table.failure!.retryAt = 0;
    await flush();
    expect(warehouse.rows).toEqual(['n0', 'n1', 'n2']);
  });

  it('stops the lane when fenced and the group no longer counts us as owner', async () => {
    const { warehouse, flush, load, stopped } = setup({ owner: false });
    load(0);
    warehouse.checkpoint = { ...warehouse.checkpoint, epoch: 5 };
    await flush();
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toContain('fenced');
    expect(warehouse.rows).toEqual([]);
  });

  it('a flush of an older generation that meets a fencing touches nothing shared: no question to the group, no stop', async () => {
    const { warehouse, table, flush, load, stopped, asked } = setup({ current: false });
    load(0);
    // Our own process claimed the partition again in the new generation.
    warehouse.checkpoint = { ...warehouse.checkpoint, epoch: 2 };
    await flush();
    expect(stopped).toEqual([]);
    expect(asked).toEqual([]);
    expect(warehouse.checkpoint.epoch).toBe(2);
    expect(table.buffer.map((c) => c.offset)).toEqual([0]);
  });
});

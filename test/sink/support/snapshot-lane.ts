import { onTestFinished } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { TableContract, TablelaneConfig } from '@app/config';
import { prepareChange, type ChangeEvent } from '@app/contracts';
import { snapshotBegin, snapshotCancel, snapshotEnd, snapshotRow } from '@app/kafka';
import { stateTableName } from '@app/warehouse';
import { uniqueName } from '../../support/env';

type Row = object;

/**
 * Writes one table's lane as `tablelane snapshot` and the router do: snapshot markers and rows
 * (the upsert prepareChange makes of a source row, marked with its run) in Kafka transactions,
 * one per chunk, and live changes with a plain idempotent producer, in the order of the calls.
 */
export class LaneWriter {
  private constructor(
    private readonly snapshots: Producer,
    private readonly live: Producer,
    private readonly config: TablelaneConfig,
    private readonly contract: TableContract,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  static async open(
    kafka: Kafka,
    config: TablelaneConfig,
    contract: TableContract,
    topic: string,
    partition = 0,
  ) {
    const snapshots = kafka.producer({
      transactionalId: uniqueName('tl-test-snapshot'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const live = kafka.producer({ idempotent: true });
    await snapshots.connect();
    await live.connect();
    onTestFinished(async () => {
      await snapshots.disconnect();
      await live.disconnect();
    });
    return new LaneWriter(snapshots, live, config, contract, topic, partition);
  }

  /** A new run's id, as the CLI makes them: `<table>@<UTC start>-<random>`. */
  runId(): string {
    return `${this.contract.name}@${new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${uniqueName('r').slice(-6)}`;
  }

  begin(run: string, total?: number): Promise<void> {
    const marker = {
      ...snapshotBegin(this.contract.name, run, Date.now()),
      ...(total !== undefined && { total }),
    };
    return this.transaction([marker]);
  }

  /** One chunk of source rows, in one transaction (the CLI's chunk). */
  rows(run: string, rows: readonly Row[]): Promise<void> {
    return this.transaction(rows.map((row) => snapshotRow(this.upsert(row), run)));
  }

  end(run: string, rows: number): Promise<void> {
    return this.transaction([snapshotEnd(this.contract.name, run, rows)]);
  }

  cancel(run: string): Promise<void> {
    return this.transaction([snapshotCancel(this.contract.name, run)]);
  }

  /** A whole refresh: begin, the rows in chunks of `chunkRows`, end. */
  async snapshot(run: string, rows: readonly Row[], chunkRows: number, total?: number): Promise<void> {
    await this.begin(run, total);
    for (let i = 0; i < rows.length; i += chunkRows) await this.rows(run, rows.slice(i, i + chunkRows));
    await this.end(run, rows.length);
  }

  /** Live changes, as the router writes them on the lane (each in its documented JSON form). */
  async changes(events: readonly object[]): Promise<void> {
    await this.live.send({
      topic: this.topic,
      acks: -1,
      messages: events.map((e) => ({
        key: this.contract.name,
        partition: this.partition,
        value: JSON.stringify(e),
      })),
    });
  }

  private upsert(row: Row): ChangeEvent & { op: 'upsert' } {
    const prepared = prepareChange(this.config, { table: this.contract.name, op: 'upsert', row });
    if (prepared.kind !== 'route') throw new Error('no transforms: every row routes');
    return prepared.event as ChangeEvent & { op: 'upsert' };
  }

  private async transaction(events: readonly object[]): Promise<void> {
    const transaction = await this.snapshots.transaction();
    try {
      await transaction.send({
        topic: this.topic,
        acks: -1,
        messages: events.map((e) => ({
          key: this.contract.name,
          partition: this.partition,
          value: JSON.stringify(e),
        })),
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
  }
}

export interface RunRecord {
  run: string;
  state: string;
  rows_seen: number;
  rows_expected: number | null;
  total: number | null;
}

/** The sink's record of a run (the runs table), if any. */
export async function runRecord(pool: Pool, state: string, contract: TableContract, run: string) {
  const { rows } = await pool.query<RunRecord>(
    `SELECT run, state, rows_seen::int, rows_expected::int, total::int FROM "${state}"."${stateTableName(contract, 'snapshotRun')}" WHERE run = $1`,
    [run],
  );
  return rows[0];
}

/** How many seen keys the runs keep (the ended ones keep none). */
export async function seenKeys(pool: Pool, state: string, contract: TableContract): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${state}"."${stateTableName(contract, 'snapshot')}"`,
  );
  return rows[0]!.n;
}

/** A small seeded generator (mulberry32), so a failing model can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import { describe, expect, it } from 'vitest';
import { parseConfig } from '@app/config';
import { encodeCsv, FencedError, PostgresDestination, type StagedRow } from '@app/warehouse';
import { Readable } from 'node:stream';
import { uniqueName } from '../support/env';
import { groupLag, waitFor } from '../support/kafka';
import { dropSchemasAfterTest, testPool, testConnection } from '../support/postgres';
import { sinkTestSetup } from '../support/sink-suite';
import { startSink, writeConfig } from '../support/sink-process';
import { diffWarehouse, generateWorkload, produceWorkload } from '../support/workload';

function destination(state: string) {
  return new PostgresDestination({
    pool: { ...testConnection(), max: 4 },
    stateSchema: state,
    createTables: true,
    lockTimeoutMs: 5000,
  });
}

const staged = (rows: StagedRow[]) => ({
  rowCount: rows.length,
  openStagedData: async () => Readable.from([encodeCsv(rows)]),
});

describe('checkpoint fencing', () => {
  it('rejects the commit of a stale owner that is still flushing after a newer owner claimed the lane', async () => {
    const pool = testPool();
    const schema = uniqueName('fence');
    const state = uniqueName('tl');
    dropSchemasAfterTest(schema, state);
    const [contract] = parseConfig({
      tables: [{ name: `${schema}.items`, columns: { id: 'bigint', val: 'text' }, primaryKey: ['id'] }],
    }).tables;
    const stale = destination(state);
    const fresh = destination(state);
    await stale.prepareTable(contract!);

    // The old owner claims lane 3 and applies offsets 0..9.
    const oldClaim = await stale.claimLane(contract!, 'changes', 3, 'old');
    await stale.applyBatch({
      contract: contract!,
      topic: 'changes',
      partition: 3,
      claim: oldClaim,
      nextOffset: 9,
      ...staged([{ op: 'u', values: ['1', 'from old owner'] }]),
    });
    const oldAfterFirst = { ...oldClaim, lastOffset: 9 };

    // A rebalance hands the lane to a new owner, which reads the checkpoint and bumps the epoch.
    const newClaim = await fresh.claimLane(contract!, 'changes', 3, 'new');
    expect(newClaim).toEqual({ lastOffset: 9, epoch: oldClaim.epoch + 1 });

    // The stale owner, unaware, flushes its next batch: fenced and rolled back.
    await expect(
      stale.applyBatch({
        contract: contract!,
        topic: 'changes',
        partition: 3,
        claim: oldAfterFirst,
        nextOffset: 19,
        ...staged([
          { op: 'u', values: ['1', 'STALE'] },
          { op: 'u', values: ['2', 'STALE'] },
        ]),
      }),
    ).rejects.toBeInstanceOf(FencedError);

    // The new owner applies the same offsets; the state is exactly its batch.
    await fresh.applyBatch({
      contract: contract!,
      topic: 'changes',
      partition: 3,
      claim: newClaim,
      nextOffset: 19,
      ...staged([
        { op: 'u', values: ['1', 'from new owner'] },
        { op: 'u', values: ['2', 'from new owner'] },
      ]),
    });
    const rows = await pool.query(`SELECT id, val FROM "${schema}".items ORDER BY id`);
    expect(rows.rows).toEqual([
      { id: '1', val: 'from new owner' },
      { id: '2', val: 'from new owner' },
    ]);
    const [checkpoint] = await fresh.readCheckpoints(contract!);
    expect(checkpoint).toMatchObject({ partition: 3, lastOffset: 19, epoch: newClaim.epoch, owner: 'new' });

    // A stale owner whose flush overlaps the new owner's claim: the claim waits for the row
    // lock, then sees the stale commit, so nothing is applied twice either way.
    const racing = await stale.claimLane(contract!, 'changes', 4, 'old');
    const slow = stale.applyBatch({
      contract: contract!,
      topic: 'changes',
      partition: 4,
      claim: racing,
      nextOffset: 4,
      ...staged([{ op: 'u', values: ['3', 'racing'] }]),
    });
    const takeover = fresh.claimLane(contract!, 'changes', 4, 'new');
    const [slowResult, takeoverClaim] = await Promise.allSettled([slow, takeover]);
    expect(takeoverClaim.status).toBe('fulfilled');
    const claimed = (takeoverClaim as PromiseFulfilledResult<{ lastOffset: number }>).value;
    expect(claimed.lastOffset).toBe(slowResult.status === 'fulfilled' ? 4 : -1);

    await stale.close();
    await fresh.close();
  });

  it('fences a frozen sink process that wakes up after its lanes moved to another sink', async () => {
    const { kafka, pool, schema, state, changes, group } = await sinkTestSetup('zombie', 2);
    const workload = generateWorkload(schema, 4, 200, 11);
    const config = {
      topics: { changes, dlq: `${changes}.dlq` },
      warehouse: { stateSchema: state },
      defaults: { flush: { maxAgeMs: 200 } },
      tables: workload.tables,
    };
    const configPath = writeConfig(config);
    const tables = parseConfig(config).tables;
    const produce = (round: number) =>
      produceWorkload(() => kafka.producer({ idempotent: true }), changes, 2, workload, tables, round, 2);
    const env = { TABLELANE_SINK_GROUP: group, TABLELANE_SINK_SESSION_TIMEOUT_MS: '6000' };

    // Sink A freezes itself (SIGSTOP) after staging its first batch, before the transaction.
    const zombie = startSink(configPath, { ...env, TABLELANE_FAULTS: 'after-stage=stop' });
    await produce(0);
    await waitFor(
      'sink A to freeze mid-flush',
      async () => zombie.output().includes('after-stage hit, SIGSTOP'),
      30_000,
    );

    // The group gives A's lanes to sink B once A's session expires; B loads everything.
    const successor = startSink(configPath, env);
    await produce(1);
    const admin = kafka.admin();
    await admin.connect();
    await waitFor('sink B to catch up', async () => (await groupLag(admin, group, changes)) === 0, 90_000);
    await admin.disconnect();

    // A wakes up and tries to commit its stale batch: the checkpoint rejects it.
    zombie.child.kill('SIGCONT');
    await waitFor(
      'the stale owner to be fenced',
      async () =>
        /stopped: fenced|lanes dropped for a new group generation/.test(
          zombie.output().split('SIGSTOP')[1] ?? '',
        ),
      30_000,
    );
    expect(await diffWarehouse(pool, workload)).toEqual([]);
    expect(successor.output()).not.toContain('stopped: fenced');
  });
});

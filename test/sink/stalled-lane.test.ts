import type { PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { freePort } from '../support/ports';
import { startSink, writeConfig } from '../support/sink-process';

const STALL_THRESHOLD_MS = 3000;

interface LaneView {
  partition: number;
  state: 'ok' | 'stalled';
  stalledReason: string | null;
}

/** What the sink's endpoints say about lanes right now: /status, the gauge, and both probes. */
function sinkEndpoints(port: number) {
  const base = `http://127.0.0.1:${port}`;
  return {
    lanes: async (): Promise<LaneView[]> =>
      ((await (await fetch(`${base}/status`)).json()) as { lanes: LaneView[] }).lanes,
    /** tablelane_sink_lane_stalled per partition, as Prometheus would scrape it. */
    stalledGauge: async (): Promise<Record<string, number>> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Object.fromEntries(
        [...text.matchAll(/^tablelane_sink_lane_stalled\{partition="(\d+)"\} (\d+)$/gm)].map((m) => [
          m[1]!,
          Number(m[2]),
        ]),
      );
    },
    probe: async (path: '/readyz' | '/healthz'): Promise<{ status: number; body: string }> => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, body: await response.text() };
    },
  };
}

describe('a stalled lane', () => {
  it('shows as stalled on /status, in the metric and on /readyz within the threshold, and recovers after the lock goes', async () => {
    const { kafka, pool, schema, state, changes, group, caughtUp } = await sinkTestSetup('stall', 2);
    const orders = { name: `${schema}.orders`, columns: { id: 'bigint' }, primaryKey: ['id'], lane: 0 };
    const payments = { name: `${schema}.payments`, columns: { id: 'bigint' }, primaryKey: ['id'], lane: 1 };
    const port = await freePort();
    const sink = startSink(
      writeConfig({
        topics: { changes, dlq: `${changes}.dlq` },
        warehouse: { stateSchema: state, lockTimeoutMs: 400 },
        defaults: { flush: { maxAgeMs: 200 } },
        tables: [orders, payments],
      }),
      {
        TABLELANE_SINK_GROUP: group,
        PORT: String(port),
        TABLELANE_STALL_THRESHOLD_MS: String(STALL_THRESHOLD_MS),
        TABLELANE_LAG_PROBE_MS: '250',
      },
    );
    const sinkApi = sinkEndpoints(port);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const send = (table: typeof orders, from: number, count: number) =>
      producer.send({
        topic: changes,
        acks: -1,
        messages: Array.from({ length: count }, (_, i) => ({
          key: table.name,
          partition: table.lane,
          value: JSON.stringify({ table: table.name, op: 'upsert', row: { id: from + i } }),
        })),
      });
    try {
      // Both tables exist and both lanes have committed once: the healthy baseline.
      await send(orders, 0, 5);
      await send(payments, 0, 5);
      await caughtUp();
      await waitFor(
        'both lanes to report ok',
        async () => {
          const lanes = await sinkApi.lanes();
          return lanes.length === 2 && lanes.every((l) => l.state === 'ok');
        },
        15_000,
      );
      expect((await sinkApi.probe('/readyz')).status).toBe(200);

      // The analyst takes the table; the loader's every attempt now times out on the lock.
      const analyst: PoolClient = await pool.connect();
      await analyst.query('BEGIN');
      await analyst.query(`LOCK TABLE "${schema}".orders IN ACCESS EXCLUSIVE MODE`);
      const analystPid = (await analyst.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!
        .pid;
      let locked = true;
      try {
        const producedAt = Date.now();
        await send(orders, 100, 20);
        await send(payments, 100, 5);

        let seen: unknown;
        await waitFor(
          'lane 0 to show as stalled',
          async () => {
            seen = await sinkApi.lanes();
            return (seen as LaneView[]).some((l) => l.partition === 0 && l.state === 'stalled');
          },
          STALL_THRESHOLD_MS + 8000,
        ).catch((error: Error) => {
          throw new Error(
            `${error.message}; last /status lanes: ${JSON.stringify(seen)}\n${sink.output().slice(-3000)}`,
          );
        });
        // The batch first fails one lock timeout after it is due; then the threshold runs.
        expect(Date.now() - producedAt).toBeLessThan(STALL_THRESHOLD_MS + 6000);

        const lanes = await sinkApi.lanes();
        const stalled = lanes.find((l) => l.partition === 0)!;
        expect(stalled.stalledReason).toContain(orders.name);
        expect(stalled.stalledReason).toMatch(/for \d+ s/);
        // Once the lock watch has found the holder, the reason says who to call.
        await waitFor(
          'the reason to name the lock holder',
          async () =>
            (await sinkApi.lanes()).some(
              (l) => l.partition === 0 && !!l.stalledReason?.includes(`pid ${analystPid}`),
            ),
          5000,
        );
        // The other lane keeps loading and stays ok.
        expect(lanes.find((l) => l.partition === 1)?.state).toBe('ok');
        await waitFor(
          'the gauge to read 1 for lane 0',
          async () => (await sinkApi.stalledGauge())['0'] === 1,
          3000,
        );
        expect((await sinkApi.stalledGauge())['1']).toBe(0);
        const ready = await sinkApi.probe('/readyz');
        expect(ready.status).toBe(503);
        expect(JSON.parse(ready.body)).toMatchObject({
          ready: false,
          reasons: [expect.stringContaining(orders.name)],
        });
        // A lock follows the lane to any other sink: liveness must not restart this one for it.
        expect((await sinkApi.probe('/healthz')).status).toBe(200);

        await analyst.query('COMMIT');
        locked = false;
      } finally {
        if (locked) await analyst.query('ROLLBACK');
        analyst.release();
      }

      await waitFor(
        'lane 0 to recover',
        async () => (await sinkApi.lanes()).every((l) => l.state === 'ok'),
        STALL_THRESHOLD_MS + 10_000,
      );
      await waitFor(
        'the gauge to read 0 for lane 0',
        async () => (await sinkApi.stalledGauge())['0'] === 0,
        3000,
      );
      await waitFor(
        '/readyz to answer 200',
        async () => (await sinkApi.probe('/readyz')).status === 200,
        5000,
      );
      await caughtUp();
      const { rows } = await pool.query<{ orders: number; payments: number }>(
        `SELECT (SELECT count(*)::int FROM "${schema}".orders) AS orders,
                (SELECT count(*)::int FROM "${schema}".payments) AS payments`,
      );
      expect(rows[0]).toEqual({ orders: 25, payments: 10 });
    } finally {
      await producer.disconnect();
    }
  });
});

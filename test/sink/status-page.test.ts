/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { groupLag, waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { freePort, startSink, writeConfig } from '../support/sink-process';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('sink status page', () => {
  it.skipIf(!existsSync(CHROMIUM))(
    'lists the lanes of a running pipeline with their lag, in a real browser',
    async () => {
      const { kafka, schema, state, changes, group } = await sinkTestSetup('page', 2);
      const tables = [
        { name: `${schema}.orders`, columns: { id: 'bigint' }, primaryKey: ['id'], lane: 0 },
        { name: `${schema}.payments`, columns: { id: 'bigint' }, primaryKey: ['id'], lane: 1 },
      ];
      const port = await freePort();
      startSink(
        writeConfig({
          topics: { changes, dlq: `${changes}.dlq` },
          warehouse: { stateSchema: state },
          tables,
        }),
        {
          TABLELANE_SINK_GROUP: group,
          PORT: String(port),
          TABLELANE_LAG_PROBE_MS: '250',
        },
      );
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({
        topic: changes,
        messages: tables.flatMap((t) =>
          Array.from({ length: 5 }, (_, i) => ({
            key: t.name,
            partition: t.lane,
            value: JSON.stringify({ table: t.name, op: 'upsert', row: { id: i } }),
          })),
        ),
      });
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await waitFor('the sink to load', async () => (await groupLag(admin, group, changes)) === 0, 30_000);
      await admin.disconnect();

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${port}/status.html`);
        await page.waitForSelector('tr[data-partition="1"]', { timeout: 15_000 });
        // Lag is probed every 250 ms and the page refreshes every second: wait for lag 0.
        await page.waitForFunction(
          () => Array.from(document.querySelectorAll('td.lag')).every((td) => td.textContent === '0'),
          undefined,
          { timeout: 15_000 },
        );
        const rows = await page.$$eval('#lanes tr', (trs) =>
          trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
        );
        expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
          ['0', `${schema}.orders`, '0'],
          ['1', `${schema}.payments`, '0'],
        ]);
        expect(await page.textContent('thead')).toContain('lag (messages)');
        expect(await page.textContent('#summary')).toContain('consuming');
        await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/tablelane-status-page.png` });
      } finally {
        await browser.close();
      }
    },
  );
});

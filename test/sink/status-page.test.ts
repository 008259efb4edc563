/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { STATUS_PAGE } from '@app/sink/health/status-page';
import { groupLag, waitFor } from '../support/kafka';
import { sinkTestSetup } from '../support/sink-suite';
import { freePort } from '../support/ports';
import { startSink, writeConfig } from '../support/sink-process';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function launchBrowser(): Promise<Browser> {
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
  onTestFinished(() => browser.close());
  return browser;
}

/** Serves the page and a fixed /status body, as the sink's controller would. */
async function servePage(status: object): Promise<string> {
  const server = createServer((request, response) => {
    const json = request.url?.startsWith('/status') && !request.url.startsWith('/status.html');
    response.setHeader('content-type', json ? 'application/json' : 'text/html; charset=utf-8');
    response.end(json ? JSON.stringify(status) : STATUS_PAGE);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  onTestFinished(() => new Promise<void>((closed) => server.close(() => closed())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/status.html`;
}

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

      const page = await (await launchBrowser()).newPage();
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
      expect(rows.map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
        ['0', 'ok', `${schema}.orders`, '0'],
        ['1', 'ok', `${schema}.payments`, '0'],
      ]);
      expect(await page.$$('tr.stalled')).toHaveLength(0);
      expect(await page.textContent('thead')).toContain('lag (messages)');
      expect(await page.textContent('#summary')).toContain('consuming');
      await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/tablelane-status-page.png` });
    },
  );

  it.skipIf(!existsSync(CHROMIUM))(
    'shows a stalled lane in red with its reason, and the failing table, from the /status a stalled sink serves',
    async () => {
      const reason =
        'public.orders has failed the same batch for 74 s: 55P03 lock timeout (blocked by pid 123)';
      const lane = {
        lagMessages: 0,
        oldestAgeSeconds: 0,
        rowsPerSecond: 0,
        bufferedRows: 0,
        lastCommitAt: null,
        deadLetters: 0,
        state: 'ok',
        stalledReason: null,
      };
      const url = await servePage({
        owner: 'pod-a:1',
        generation: 4,
        consuming: true,
        paused: false,
        stallThresholdSeconds: 60,
        blocked: [],
        lanes: [
          {
            ...lane,
            partition: 0,
            tables: [
              {
                table: 'public.orders',
                failingSince: new Date(Date.now() - 74_000).toISOString(),
                lastError: '55P03 lock timeout',
              },
              { table: 'public.items', failingSince: null, lastError: null },
            ],
            lagMessages: 12,
            state: 'stalled',
            stalledReason: reason,
          },
          {
            ...lane,
            partition: 1,
            tables: [{ table: 'public.payments', failingSince: null, lastError: null }],
          },
        ],
      });
      const page = await (await launchBrowser()).newPage();
      await page.goto(url);
      await page.waitForSelector('tr[data-partition="1"]', { timeout: 15_000 });
      expect(await page.$$eval('tr.stalled', (trs) => trs.map((tr) => tr.dataset.partition))).toEqual(['0']);
      expect(await page.textContent('tr[data-partition="0"] td.state')).toBe(`STALLED: ${reason}`);
      expect(await page.textContent('tr[data-partition="1"] td.state')).toBe('ok');
      // Red: the stalled row's background and its state text, not the healthy row's.
      const colors = await page.$$eval('td.state', (tds) =>
        tds.map((td) => [getComputedStyle(td).backgroundColor, getComputedStyle(td).color]),
      );
      expect(colors[0]).toEqual(['rgb(255, 235, 233)', 'rgb(207, 34, 46)']);
      expect(colors[1]![0]).not.toBe('rgb(255, 235, 233)');
      expect(await page.textContent('tr[data-partition="0"] .failing')).toMatch(
        /^public\.orders \(failing since /,
      );
      expect(await page.textContent('#summary')).toContain('1 STALLED');
      await page.screenshot({ path: `${process.env.TMPDIR ?? '/tmp'}/tablelane-status-page-stalled.png` });
    },
  );
});

import { createTablelaneClient } from '@app/sdk';
import type { TablelaneConfig } from '@app/config';
import type { Workload } from '@app/simulation';

export interface FleetOptions {
  config: TablelaneConfig;
  gatewayUrl: string;
  apiKey: string;
  /** Changes per invocation (a Lambda handles a batch of records at a time). */
  batchSize: number;
  /** Paces each function to this many changes per second (default: as fast as acknowledgements allow). */
  changesPerSecond?: number;
}

export interface FleetProgress {
  sent: number;
  failedInvocations: number;
}

type ChangeJson = {
  table: string;
  op: 'upsert' | 'delete';
  row?: Record<string, unknown>;
  key?: Record<string, unknown>;
  ts?: number;
};

/**
 * Simulated Lambda functions, all running at once: even ones publish through the SDK (Avro via
 * the schema registry, one client per function, reused across its invocations), odd ones POST
 * to the HTTP gateway. Each function sends its own events in order, one invocation at a time;
 * an invocation that fails is retried, as Lambda retries a failed batch.
 */
export async function runFleet(
  workload: Workload,
  options: FleetOptions,
  progress: FleetProgress,
): Promise<void> {
  await Promise.all(
    workload.producers.map(async (events, index) => {
      const viaSdk = index % 2 === 0;
      const client = viaSdk
        ? createTablelaneClient({ config: options.config, clientId: `demo-lambda-${index}` })
        : undefined;
      const started = Date.now();
      // Staggered starts, so paced functions do not all send in the same millisecond.
      const offsetMs = options.changesPerSecond
        ? ((index / workload.producers.length) * options.batchSize * 1000) / options.changesPerSecond
        : 0;
      try {
        for (let i = 0; i < events.length; i += options.batchSize) {
          if (options.changesPerSecond) {
            const due = started + offsetMs + (i * 1000) / options.changesPerSecond;
            if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          }
          const batch = events
            .slice(i, i + options.batchSize)
            .map((e) => ({ ...(JSON.parse(e.value) as ChangeJson), ts: Date.now() }));
          for (let attempt = 1; ; attempt++) {
            try {
              if (client) await client.send(batch as never);
              else await postBatch(options, batch);
              break;
            } catch (error) {
              progress.failedInvocations++;
              if (attempt >= 5) throw error;
              await new Promise((r) => setTimeout(r, 200 * attempt));
            }
          }
          progress.sent += batch.length;
        }
      } finally {
        await client?.close();
      }
    }),
  );
}

async function postBatch(options: FleetOptions, batch: ChangeJson[]): Promise<void> {
  const response = await fetch(`${options.gatewayUrl}/v1/changes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` },
    body: JSON.stringify(batch),
  });
  if (response.status !== 202)
    throw new Error(`gateway answered ${response.status}: ${await response.text()}`);
}

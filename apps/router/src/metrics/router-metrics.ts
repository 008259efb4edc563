import { DLQ_HEADERS } from '@app/contracts';
import type { PipelineOutput, PipelineRecord } from '@app/kafka';
import { PAYLOAD_HEADERS } from '../routing/fit-to-topics';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The router's Prometheus metrics, counted only for committed transactions. */
export class RouterMetrics {
  readonly registry = new Registry();
  readonly routed = new Counter({
    name: 'tablelane_router_changes_routed_total',
    help: 'Changes written to the changes topic',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'tablelane_router_dead_letters_total',
    help: 'Ingest records written to the dead-letter topic',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly filtered = new Counter({
    name: 'tablelane_router_changes_filtered_total',
    help: 'Changes dropped by a table filter',
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'tablelane_router_transaction_retries_total',
    help: 'Batch transactions aborted and retried or split, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly heldChanges = new Gauge({
    name: 'tablelane_router_held_changes',
    help: 'Records waiting for a contract reload that knows their table or column (a rollout in progress)',
    registers: [this.registry],
  });
  readonly concurrentTransactions = new Counter({
    name: 'tablelane_router_concurrent_transactions_total',
    help: 'CONCURRENT_TRANSACTIONS answers that kafkajs retried (logged at debug)',
    registers: [this.registry],
  });
  readonly payloadsMoved = new Counter({
    name: 'tablelane_router_dead_letter_payloads_moved_total',
    help: 'Dead letters too big for the dead-letter topic whose payload was moved to S3',
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'tablelane_router_batch_duration_seconds',
    help: 'From receiving an ingest batch to committing its transaction',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  committed(records: PipelineRecord[], outputs: PipelineOutput[], seconds: number): void {
    for (const output of outputs) {
      const code = output.headers?.[DLQ_HEADERS.errorCode];
      if (code === undefined) this.routed.inc({ table: String(output.key) });
      else this.deadLettered.inc({ code: String(code) });
      if (output.headers?.[PAYLOAD_HEADERS.s3Key] !== undefined) this.payloadsMoved.inc();
    }
    // Every record gives one output at most: the rest were dropped by filters.
    this.filtered.inc(records.length - outputs.length);
    this.batchSeconds.observe(seconds);
  }
}

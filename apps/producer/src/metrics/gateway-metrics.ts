import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/** Status classes with a series from the start, so a rate of 5xx is 0 rather than absent. */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/** The gateway's Prometheus metrics. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tablelane_gateway_requests_total',
    help: 'Requests to POST /v1/changes by status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly responses = new Counter({
    name: 'tablelane_gateway_responses_total',
    help: 'Responses on every path by status class, answers to requests Node could not parse included',
    labelNames: ['class'],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'tablelane_gateway_changes_accepted_total',
    help: 'Changes acknowledged by Kafka',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const statusClass of STATUS_CLASSES) this.responses.inc({ class: statusClass }, 0);
  }

  /** Counts one response sent; `ingest` when it answered POST /v1/changes. */
  countResponse(status: number, ingest: boolean): void {
    this.responses.inc({ class: `${Math.floor(status / 100)}xx` });
    if (ingest) this.requests.inc({ status: String(status) });
  }
}

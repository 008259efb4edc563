import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export const GATEWAY_METRICS = Symbol('GATEWAY_METRICS');

/** The gateway's Prometheus metrics. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'tablelane_gateway_requests_total',
    help: 'Requests to POST /v1/changes by status',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'tablelane_gateway_changes_accepted_total',
    help: 'Changes acknowledged by Kafka',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

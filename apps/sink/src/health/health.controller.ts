import { redactSecrets } from '@app/config';
import { Controller, Get, Header, HttpException, Inject } from '@nestjs/common';
import type { BuiltSink } from '../sink.wiring';
import { SINK, SINK_HEALTH } from '../sink.tokens';
import type { SinkHealth } from './sink-health';
import { STATUS_PAGE } from './status-page';

@Controller()
export class HealthController {
  constructor(
    @Inject(SINK) private readonly sink: BuiltSink,
    @Inject(SINK_HEALTH) private readonly health: SinkHealth,
  ) {}

  /**
   * Liveness: fails only when a restart is the cure, i.e. the consumer stopped, or a lane has
   * been behind without a commit for TABLELANE_STALL_RESTART_MS with no table reporting an error.
   */
  @Get('healthz')
  live(): { live: true } {
    const problems = this.health.livenessProblems();
    if (problems.length > 0) throw new HttpException({ live: false, reasons: redactSecrets(problems) }, 503);
    return { live: true };
  }

  /**
   * Readiness: consuming from Kafka, the warehouse and the staging bucket answering, and no lane
   * of this sink stalled. A stalled lane shows in `kubectl get pods` and holds a rollout.
   */
  @Get('readyz')
  async ready(): Promise<{ ready: true }> {
    const reasons: string[] = [];
    if (!this.sink.runner.isConsuming) reasons.push('starting: not consuming yet');
    else {
      if (!(await this.sink.destination.ping())) reasons.push('warehouse not answering');
      if (this.sink.store && !(await this.sink.store.ping())) reasons.push('staging bucket not answering');
      reasons.push(...this.health.stalledLanes());
    }
    if (reasons.length > 0) throw new HttpException({ ready: false, reasons: redactSecrets(reasons) }, 503);
    return { ready: true };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.sink.metrics.registry.metrics();
  }

  /**
   * The runner's status, each lane with its health verdict (`state`, `stalledReason`); secrets
   * masked (an error message may quote a connection string).
   */
  @Get('status')
  status(): object {
    return redactSecrets(this.health.status());
  }

  /** A page listing this sink's lanes with their lag, refreshing itself. */
  @Get(['', 'status.html'])
  @Header('content-type', 'text/html; charset=utf-8')
  statusPage(): string {
    return STATUS_PAGE;
  }
}

import { Controller, Get, Header, HttpCode, HttpException, Inject } from '@nestjs/common';
import type { BuiltSink } from '../sink.wiring';
import { SINK } from '../sink.tokens';
import { STATUS_PAGE } from './status-page';

@Controller()
export class HealthController {
  constructor(@Inject(SINK) private readonly sink: BuiltSink) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  live(): string {
    return 'ok';
  }

  /** Readiness: consuming from Kafka, with the warehouse and the staging bucket answering. */
  @Get('readyz')
  async ready(): Promise<string> {
    if (!this.sink.runner.isConsuming) throw new HttpException('starting: not consuming yet', 503);
    if (!(await this.sink.destination.ping())) throw new HttpException('warehouse not answering', 503);
    if (this.sink.store && !(await this.sink.store.ping()))
      throw new HttpException('staging bucket not answering', 503);
    return 'ready';
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.sink.metrics.registry.metrics();
  }

  @Get('status')
  status(): object {
    return this.sink.runner.status();
  }

  /** A page listing this sink's lanes with their lag, refreshing itself. */
  @Get(['', 'status.html'])
  @Header('content-type', 'text/html; charset=utf-8')
  statusPage(): string {
    return STATUS_PAGE;
  }
}

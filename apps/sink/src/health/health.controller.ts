import { Controller, Get, Header, HttpCode, HttpException, Inject } from '@nestjs/common';
import type { BuiltSink } from '../sink.wiring';
import { SINK } from '../sink.tokens';

@Controller()
export class HealthController {
  constructor(@Inject(SINK) private readonly sink: BuiltSink) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  live(): string {
    return 'ok';
  }

  /** Readiness: consuming, with the warehouse answering. */
  @Get('readyz')
  async ready(): Promise<string> {
    if (!this.sink.runner.isConsuming) throw new HttpException('starting: not consuming yet', 503);
    if (!(await this.sink.destination.ping())) throw new HttpException('warehouse not answering', 503);
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
}

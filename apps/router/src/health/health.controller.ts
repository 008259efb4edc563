import { Controller, Get, Header, HttpCode, HttpException } from '@nestjs/common';
import { RouterService } from '../router.service';

@Controller()
export class HealthController {
  constructor(private readonly router: RouterService) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  live(): string {
    return 'ok';
  }

  /** Readiness: the lanes matched the baseline and the router is in its group. */
  @Get('readyz')
  ready(): string {
    if (!this.router.isConsuming) throw new HttpException('not consuming', 503);
    return 'ready';
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.router.metrics.registry.metrics();
  }
}

import { Controller, Get, Header, HttpCode, HttpException } from '@nestjs/common';
import { runtimeSettings } from '@app/config';
import { HttpSchemaRegistry } from '@app/kafka';
import { RouterService } from '../router.service';

@Controller()
export class HealthController {
  // Built once: the settings (and a CA file) are read at start, not on every probe.
  private readonly registry = new HttpSchemaRegistry(runtimeSettings().schemaRegistry, 2000);

  constructor(private readonly router: RouterService) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  live(): string {
    return 'ok';
  }

  /**
   * Readiness: the lanes matched the baseline, the router is in its group, and the registry
   * answers (the router decodes Avro through it: without it, it cannot route Avro changes).
   */
  @Get('readyz')
  async ready(): Promise<string> {
    if (!this.router.isConsuming) throw new HttpException('not consuming', 503);
    if (!(await this.registry.answers())) {
      throw new HttpException('schema registry not answering', 503);
    }
    return 'ready';
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return this.router.metrics.registry.metrics();
  }
}

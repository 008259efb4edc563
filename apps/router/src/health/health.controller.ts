import { Controller, Get, Header, HttpCode, HttpException } from '@nestjs/common';
import { runtimeSettings } from '@app/config';
import { RouterService } from '../router.service';

/** The router decodes Avro through the registry: without it, it cannot route Avro changes. */
async function registryAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/subjects`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

@Controller()
export class HealthController {
  constructor(private readonly router: RouterService) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  live(): string {
    return 'ok';
  }

  /** Readiness: the lanes matched the baseline, the router is in its group, and the registry answers. */
  @Get('readyz')
  async ready(): Promise<string> {
    if (!this.router.isConsuming) throw new HttpException('not consuming', 503);
    if (!(await registryAnswers(runtimeSettings().schemaRegistryUrl))) {
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

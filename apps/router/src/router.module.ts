import { createLogger, type Logger } from '@app/observability';
import { Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { routerSettings } from './router-settings';
import { RouterService } from './router.service';
import { ROUTER_LOGGER } from './router.tokens';

/** RouterService does the work; HTTP only serves probes and metrics. */
@Module({
  controllers: [HealthController],
  providers: [
    { provide: ROUTER_LOGGER, useFactory: () => createLogger('router') },
    {
      provide: RouterService,
      inject: [ROUTER_LOGGER],
      useFactory: (logger: Logger) =>
        new RouterService(routerSettings(), logger, (error) => {
          logger.fatal(
            { err: error },
            'router consumer stopped for good; exiting so a supervisor restarts it',
          );
          process.exit(1);
        }),
    },
  ],
})
export class RouterModule {}

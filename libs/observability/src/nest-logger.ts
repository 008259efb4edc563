import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Nest's own log lines (startup, route mapping, unhandled exceptions) as pino JSON lines, so
 * an app's output is JSON only: Nest's ConsoleLogger writes coloured text and multi-line stack
 * traces between them, which log pipelines split into lines of their own.
 *
 * Nest's `log` level is its lifecycle chatter ("Mapped {/readyz, GET} route"): debug here,
 * since each app logs its own readiness at info. An error's stack stays inside its JSON line.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: 'trace' | 'debug' | 'warn' | 'error' | 'fatal', message: unknown, params: unknown[]) {
    const { context, stack } = contextAndStack(params);
    const fields: Record<string, unknown> = { component: 'nest', ...(context ? { context } : {}) };
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'string') {
      this.logger[level]({ ...fields, ...(stack ? { stack } : {}) }, message);
    } else {
      this.logger[level]({ ...fields, ...(stack ? { stack } : {}), detail: message }, 'nest');
    }
  }
}

/**
 * Nest passes the context (the class that logs) as the last string argument, and for errors
 * a stack trace before it, as its ConsoleLogger reads them.
 */
function contextAndStack(params: unknown[]): { context?: string; stack?: string } {
  const strings = params.filter((p): p is string => typeof p === 'string');
  const stack = strings.find((s) => /\n\s+at /.test(s));
  const context = strings.filter((s) => s !== stack).at(-1);
  return { context, stack };
}

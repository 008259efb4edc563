import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';

function capture() {
  const lines: string[] = [];
  process.env.LOG_LEVEL = 'trace';
  const logger = createLogger('router', { write: (line: string) => void lines.push(line) });
  delete process.env.LOG_LEVEL;
  return {
    nest: new PinoNestLogger(logger),
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('PinoNestLogger', () => {
  it("writes Nest's lifecycle lines as JSON at debug, with their context", () => {
    const { nest, entries } = capture();
    nest.log('Mapped {/readyz, GET} route', 'RouterExplorer');
    expect(entries()).toEqual([
      expect.objectContaining({
        level: 20,
        app: 'router',
        component: 'nest',
        context: 'RouterExplorer',
        msg: 'Mapped {/readyz, GET} route',
      }),
    ]);
  });

  it('keeps an unhandled exception and its stack inside one JSON line', () => {
    const { nest, entries } = capture();
    const error = new Error('boom');
    nest.error(error, 'ExceptionsHandler');
    nest.error('failed', 'Error: failed\n    at main (main.js:1:1)', 'NestApplication');
    const [thrown, logged] = entries();
    expect(thrown).toMatchObject({
      level: 50,
      context: 'ExceptionsHandler',
      msg: 'boom',
      err: { message: 'boom' },
    });
    expect((thrown!.err as { stack: string }).stack).toContain('Error: boom');
    expect(logged).toMatchObject({
      level: 50,
      context: 'NestApplication',
      msg: 'failed',
      stack: 'Error: failed\n    at main (main.js:1:1)',
    });
  });

  it('maps warn, verbose and fatal to their pino levels', () => {
    const { nest, entries } = capture();
    nest.warn('careful');
    nest.verbose('detail', 'InstanceLoader');
    nest.fatal('gone');
    expect(entries().map((e) => e.level)).toEqual([40, 10, 60]);
  });
});

import { logLevel, redactSecrets } from '@app/config';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs at LOG_LEVEL (default `info`). Every argument of every line, and the
 * bindings of every child, go through libs/config's redactSecrets: the secrets tablelane read (from a
 * variable or a `<NAME>_FILE`), URL passwords and private keys are masked wherever they appear,
 * in a settings object, an error's message or the message itself; the secret field names
 * below are censored by pino besides.
 */
export function createLogger(app: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: app,
    level: logLevel(),
    base: { app },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => redactSecrets(arg as unknown)) as typeof args);
      },
    },
    redact: {
      paths: [
        '*.password',
        '*.secretAccessKey',
        '*.apiKey',
        '*.authorization',
        'password',
        'secretAccessKey',
        'apiKey',
        'authorization',
      ],
      censor: '***',
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // A child's bindings are serialized once, when it is made; children inherit this `child`.
  const original = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return original.call(this, redactSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

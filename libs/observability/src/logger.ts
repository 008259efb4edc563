import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Known secret fields are redacted wherever they appear, so a settings
 * object or an error carrying credentials cannot leak them.
 */
export function createLogger(app: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: app,
    level: process.env.LOG_LEVEL ?? 'info',
    base: { app },
    timestamp: pino.stdTimeFunctions.isoTime,
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
  return destination ? pino(options, destination) : pino(options);
}

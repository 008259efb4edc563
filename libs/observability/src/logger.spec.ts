import { runtimeSettings } from '@app/config';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('writes JSON lines with the app name and redacts secrets wherever they sit', () => {
    const lines: string[] = [];
    const logger = createLogger('sink', { write: (line: string) => void lines.push(line) });
    logger.info(
      {
        table: 'public.sales',
        partition: 3,
        offset: 42,
        s3: { secretAccessKey: 'AKIA-SECRET' },
        db: { password: 'hunter2' },
        apiKey: 'k-123',
      },
      'batch committed',
    );
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      app: 'sink',
      msg: 'batch committed',
      table: 'public.sales',
      partition: 3,
      offset: 42,
    });
    expect(lines[0]).not.toMatch(/AKIA-SECRET|hunter2|k-123/);
    expect(entry.s3.secretAccessKey).toBe('***');
  });

  it('masks every secret libs/config read, at any depth, in the message and in errors', () => {
    const settings = runtimeSettings({
      DATABASE_URL: 'postgres://loader:db-secret-pw@db:5432/analytics',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'tablelane',
      KAFKA_SASL_PASSWORD: 'sasl-secret-pw',
    });
    const lines: string[] = [];
    const logger = createLogger('router', { write: (line: string) => void lines.push(line) });
    logger.info({ deep: { deeper: { settings } } }, 'connecting with sasl-secret-pw');
    logger.error(
      { err: new Error('login failed: postgres://loader:db-secret-pw@db:5432 (sasl-secret-pw)') },
      'failed',
    );
    logger.child({ url: settings.databaseUrl }).warn('child');
    const text = lines.join('\n');
    expect(text).not.toMatch(/db-secret-pw|sasl-secret-pw/);
    expect(JSON.parse(lines[0]!).msg).toBe('connecting with ***');
    expect(JSON.parse(lines[1]!).err).toMatchObject({
      type: 'Error',
      message: expect.stringContaining('***'),
    });
    expect(JSON.parse(lines[2]!).url).toBe('postgres://loader:***@db:5432/analytics');
  });
});

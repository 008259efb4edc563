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
});

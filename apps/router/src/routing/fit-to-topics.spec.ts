import { createHash } from 'node:crypto';
import { DLQ_HEADERS } from '@app/contracts';
import { recordSizeUpperBound, type PipelineOutput, type PipelineRecord } from '@app/kafka';
import { describe, expect, it } from 'vitest';
import { FitToTopics, PAYLOAD_HEADERS } from './fit-to-topics';

const BUDGET = 2000;
const record = (value: Buffer, headers: Record<string, string> = {}): PipelineRecord => ({
  topic: 'in',
  partition: 1,
  offset: '42',
  key: null,
  value,
  headers,
});
const letterOf = (r: PipelineRecord, reason: { code: string; message: string }): PipelineOutput => ({
  topic: 'dead',
  partition: 0,
  key: null,
  value: r.value,
  headers: { ...(r.headers as Record<string, string>), [DLQ_HEADERS.errorCode]: reason.code },
});

function fitter() {
  const stored = new Map<string, Buffer>();
  const fit = new FitToTopics({
    budgetOf: () => BUDGET,
    dlqTopic: 'dead',
    store: { put: async (key, body) => void stored.set(key, body), uri: (key) => `s3://b/${key}` },
    prefix: 'staging/',
    deadLetter: letterOf,
  });
  return { fit, stored };
}

describe('FitToTopics', () => {
  it('leaves an output that fits alone', async () => {
    const { fit, stored } = fitter();
    const output: PipelineOutput = { topic: 'out', partition: 3, key: 't', value: 'x'.repeat(100) };
    expect(await fit.fitOutput(record(Buffer.from('{}')), output)).toBe(output);
    expect(stored.size).toBe(0);
  });

  it('turns a change too big for its topic into a dead letter with its payload in S3', async () => {
    const { fit, stored } = fitter();
    const value = Buffer.from('y'.repeat(5000));
    const out = await fit.fitOutput(record(value), {
      topic: 'out',
      partition: 3,
      key: 't',
      value: value.toString(),
    });
    const key = 'staging/dead-letters/in/1/42';
    expect(out).toMatchObject({ topic: 'dead', value: null });
    expect(out.headers).toMatchObject({
      [DLQ_HEADERS.errorCode]: 'RECORD_TOO_LARGE',
      [PAYLOAD_HEADERS.s3Key]: key,
      [PAYLOAD_HEADERS.s3Uri]: `s3://b/${key}`,
      [PAYLOAD_HEADERS.size]: '5000',
      [PAYLOAD_HEADERS.sha256]: createHash('sha256').update(value).digest('hex'),
    });
    expect(stored.get(key)).toEqual(value);
    expect(recordSizeUpperBound(out)).toBeLessThanOrEqual(BUDGET);
  });

  it("drops the producer's own headers when they alone are too big, and says how many", async () => {
    const { fit } = fitter();
    const r = record(Buffer.from('{}'), { big: 'h'.repeat(5000), small: 's' });
    const out = await fit.fitOutput(r, letterOf(r, { code: 'UNKNOWN_TABLE', message: '' }));
    expect(out.headers).toMatchObject({
      [PAYLOAD_HEADERS.droppedHeaders]: '2',
      [DLQ_HEADERS.errorCode]: 'UNKNOWN_TABLE',
    });
    expect(out.headers?.big).toBeUndefined();
    expect(recordSizeUpperBound(out)).toBeLessThanOrEqual(BUDGET);
  });

  it('says a retry helps when S3 cannot store the payload', async () => {
    const fit = new FitToTopics({
      budgetOf: () => BUDGET,
      dlqTopic: 'dead',
      store: { put: () => Promise.reject(new Error('S3 down')), uri: (key) => key },
      prefix: 'p',
      deadLetter: letterOf,
    });
    const r = record(Buffer.alloc(5000));
    await expect(fit.fitOutput(r, letterOf(r, { code: 'X', message: '' }))).rejects.toMatchObject({
      code: 'PAYLOAD_STORE_UNAVAILABLE',
      retriable: true,
    });
  });
});

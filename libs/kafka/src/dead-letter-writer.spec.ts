import { PAYLOAD_HEADERS } from '@app/contracts';
import type { Producer, ProducerRecord } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { sendDeadLetters } from './dead-letter-writer';
import { recordSizeUpperBound } from './message-limits';

function recordingProducer() {
  const sends: ProducerRecord[] = [];
  const producer = { send: async (record: ProducerRecord) => void sends.push(record) } as unknown as Producer;
  return { producer, sends };
}

const letter = (offset: number, bytes: number) => ({
  source: {
    topic: 'changes',
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.alloc(bytes, 0x61),
  },
  reason: { code: '23505', message: 'duplicate key' },
});

describe('sendDeadLetters', () => {
  it('splits a long list into sends that each fit the topic limit, in order', async () => {
    const { producer, sends } = recordingProducer();
    await sendDeadLetters(
      producer,
      'dlq',
      Array.from({ length: 300 }, (_, i) => letter(i, 400)),
      'sink',
      64 * 1024,
    );
    expect(sends.length).toBeGreaterThan(1);
    for (const send of sends) {
      const bytes = send.messages.reduce(
        (sum, m) => sum + recordSizeUpperBound({ ...m, value: m.value as Buffer }),
        0,
      );
      expect(bytes).toBeLessThan(64 * 1024);
    }
    expect(sends.flatMap((s) => s.messages.map((m) => m.headers!['tablelane.source.offset']))).toEqual(
      Array.from({ length: 300 }, (_, i) => String(i)),
    );
  });

  it('sends a letter too big alone without its value, saying its size', async () => {
    const { producer, sends } = recordingProducer();
    await sendDeadLetters(producer, 'dlq', [letter(7, 100_000)], 'sink', 64 * 1024);
    expect(sends[0]!.messages[0]).toMatchObject({
      value: null,
      headers: { [PAYLOAD_HEADERS.size]: '100000' },
    });
  });
});

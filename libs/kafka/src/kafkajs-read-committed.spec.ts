import { describe, expect, it } from 'vitest';
import { filterAbortedMessages } from './kafkajs-read-committed';

const record = (offset: number, producerId: string, inTransaction = true) => ({
  offset: String(offset),
  key: Buffer.from('k'),
  batchContext: { producerId, inTransaction },
});
const abortMarker = (offset: number, producerId: string) => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, 0]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});

describe('filterAbortedMessages', () => {
  it('drops every aborted record when the broker lists aborted transactions by marker, not by first offset', () => {
    // A (pid 1) opens at 0, B (pid 2) at 1; B is aborted first, so the broker lists B before A.
    const messages = [
      record(0, '1'),
      record(1, '2'),
      abortMarker(2, '2'),
      abortMarker(3, '1'),
      record(4, '3'),
    ];
    const kept = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { producerId: '2', firstOffset: '1' },
        { producerId: '1', firstOffset: '0' },
      ],
    });
    expect(kept.filter((m) => !('isControlRecord' in m)).map((m) => m.offset)).toEqual(['4']);
  });

  it('activates every aborted transaction a fetch starts inside of', () => {
    const messages = [record(5, '1'), record(6, '2'), record(7, '3', false)];
    const kept = filterAbortedMessages({
      messages,
      abortedTransactions: [
        { producerId: '1', firstOffset: '2' },
        { producerId: '2', firstOffset: '3' },
      ],
    });
    expect(kept.map((m) => m.offset)).toEqual(['7']);
  });

  it('keeps a producer committed records after its abort marker', () => {
    const messages = [record(0, '1'), abortMarker(1, '1'), record(2, '1')];
    expect(
      filterAbortedMessages({ messages, abortedTransactions: [{ producerId: '1', firstOffset: '0' }] }).map(
        (m) => m.offset,
      ),
    ).toEqual(['1', '2']);
  });
});

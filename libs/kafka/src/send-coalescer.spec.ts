import { describe, expect, it } from 'vitest';
import { SendCoalescer } from './send-coalescer';

/** A send that waits until released, recording what each call carried. */
function gatedSend() {
  const calls: number[][] = [];
  const gates: { release: () => void; fail: (e: Error) => void }[] = [];
  const send = (messages: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push(messages);
      gates.push({ release: resolve, fail: reject });
    });
  return { calls, gates, send };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SendCoalescer', () => {
  it('sends an idle submission at once, and what queued behind a send in flight together next', async () => {
    const { calls, gates, send } = gatedSend();
    const coalescer = new SendCoalescer(send, () => 1, { maxMessages: 100, maxBytes: 100 });
    const first = coalescer.submit([1, 2]);
    expect(calls).toEqual([[1, 2]]);
    const queued = [coalescer.submit([3]), coalescer.submit([4, 5]), coalescer.submit([6])];
    expect(calls).toHaveLength(1);
    gates[0]!.release();
    await first;
    await tick();
    expect(calls).toEqual([
      [1, 2],
      [3, 4, 5, 6],
    ]);
    gates[1]!.release();
    await Promise.all(queued);
  });

  it('keeps each send within the limits, in submission order, and lets an oversized one go alone', async () => {
    const { calls, gates, send } = gatedSend();
    const coalescer = new SendCoalescer(send, (m: number) => m, { maxMessages: 3, maxBytes: 10 });
    const all = [
      coalescer.submit([1]),
      coalescer.submit([2, 3]),
      coalescer.submit([4]),
      coalescer.submit([20]),
      coalescer.submit([5]),
    ];
    for (let i = 0; i < 4; i++) {
      gates[i]!.release();
      await tick();
    }
    await Promise.all(all);
    expect(calls).toEqual([[1], [2, 3, 4], [20], [5]]);
  });

  it('fails every submission a failed send carried, and carries on with the next ones', async () => {
    const { calls, gates, send } = gatedSend();
    const coalescer = new SendCoalescer(send, () => 1, { maxMessages: 100, maxBytes: 100 });
    const first = coalescer.submit([1]);
    const a = coalescer.submit([2]);
    const b = coalescer.submit([3]);
    gates[0]!.release();
    await first;
    await tick();
    const later = coalescer.submit([4]);
    gates[1]!.fail(new Error('broker gone'));
    await expect(a).rejects.toThrow('broker gone');
    await expect(b).rejects.toThrow('broker gone');
    await tick();
    expect(calls.at(-1)).toEqual([4]);
    gates[2]!.release();
    await later;
  });
});

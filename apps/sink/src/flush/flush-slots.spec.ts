import { describe, expect, it } from 'vitest';
import { FlushSlots } from './flush-slots';

describe('FlushSlots', () => {
  it('runs at most `size` flushes at once and all of them eventually, also after a failure', async () => {
    const slots = new FlushSlots(2);
    let running = 0;
    let most = 0;
    const work = (fail: boolean) =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (fail) throw new Error('flush failed');
        return 'ok';
      });
    const results = await Promise.allSettled([false, true, false, false, true, false].map(work));
    expect(most).toBe(2);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
  });
});

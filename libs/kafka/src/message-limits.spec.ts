import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageBudget, recordSizeUpperBound, splitToFit } from './message-limits';

const message = fc.record({
  topic: fc.constantFrom('changes', 'dlq'),
  partition: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  key: fc.option(fc.string(), { nil: null }),
  value: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
  headers: fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 })),
});

describe('recordSizeUpperBound', () => {
  it('counts key, value and every header in UTF-8 bytes', () => {
    const bare = recordSizeUpperBound({ value: null });
    expect(recordSizeUpperBound({ key: 'é', value: 'ab', headers: { h: 'xyz' } })).toBe(
      bare + 2 + 2 + 10 + 1 + 3,
    );
  });
});

describe('splitToFit', () => {
  it('keeps order, loses nothing, and fits every partition of every group into its budget', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 60 }),
        fc.integer({ min: 500, max: 20_000 }),
        (messages, budget) => {
          const groups = splitToFit(messages, () => budget);
          expect(groups.flat()).toEqual(messages);
          for (const group of groups) {
            const used = new Map<string, number>();
            for (const m of group) {
              const lane = m.partition === undefined ? m.topic : `${m.topic}/${m.partition}`;
              used.set(lane, (used.get(lane) ?? 0) + recordSizeUpperBound(m));
            }
            // A group over budget holds one message that is too big alone.
            if (group.length > 1)
              for (const bytes of used.values()) expect(bytes).toBeLessThanOrEqual(budget);
          }
        },
      ),
    );
  });

  it('budgets with room for the batch header and a margin', () => {
    expect(messageBudget(65_536)).toBe(65_536 - 61 - 1024);
    expect(messageBudget(1000)).toBeLessThan(1000 - 61);
  });
});

import { ChangeRejected } from './error-codes';

const GAP_CODES = new Set(['UNKNOWN_TABLE', 'UNKNOWN_COLUMN']);
// A held change is asked about again at every retry (seconds apart); one silent this long was
// taken over by another process.
const FORGET_AFTER_MS = 60_000;

/** A refusal that a newer contract may lift: the change names a table or column not declared. */
export function isContractGap(error: unknown): error is ChangeRejected {
  return error instanceof ChangeRejected && GAP_CODES.has(error.code);
}

/**
 * When to wait for a contract rollout and when to give up. A change naming an unknown table or
 * column may come from a producer already on a newer contract, so it is held up to `holdMs`
 * for the apps' contract file to catch up. Once one gap (the same table or column) was held
 * that long in vain it is a producer's mistake, not a rollout: every later change with that gap
 * is refused at once, until the contracts change, so a misbehaving producer costs its
 * partition one hold, not one per change.
 */
export class ContractGapPolicy {
  /** Waiting changes: since when, and when they were last asked about. */
  private readonly waitingChanges = new Map<string, { since: number; seen: number }>();
  private readonly givenUp = new Set<string>();

  constructor(
    private readonly holdMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `hold` while the change (`item`: where it sits, e.g. partition and offset) may still wait
   * for a reload; `refuse` once its gap (`gap`: what it names, e.g. the refusal's message) was
   * held to the bound.
   */
  decide(item: string, gap: string): 'hold' | 'refuse' {
    if (this.givenUp.has(gap)) {
      this.settle(item);
      return 'refuse';
    }
    const now = this.now();
    for (const [key, entry] of this.waitingChanges)
      if (now - entry.seen > FORGET_AFTER_MS) this.waitingChanges.delete(key);
    const since = this.waitingChanges.get(item)?.since ?? now;
    if (now - since >= this.holdMs) {
      this.givenUp.add(gap);
      this.settle(item);
      return 'refuse';
    }
    this.waitingChanges.set(item, { since, seen: now });
    return 'hold';
  }

  /** The change was routed or refused: it no longer waits. */
  settle(item: string): void {
    this.waitingChanges.delete(item);
  }

  /** New contracts: gaps given up on may be declared now. */
  contractsChanged(): void {
    this.givenUp.clear();
  }

  /** Changes waiting now (for a gauge). */
  get waiting(): number {
    return this.waitingChanges.size;
  }

  /** Since when `item` waits, if it does. */
  heldSince(item: string): number | undefined {
    return this.waitingChanges.get(item)?.since;
  }
}

import { ChangeRejected } from './error-codes';

const GAP_CODES = new Set(['UNKNOWN_TABLE', 'UNKNOWN_COLUMN']);

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
  private readonly waitingSince = new Map<string, number>();
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
    if (this.givenUp.has(gap)) return (this.settle(item), 'refuse');
    const now = this.now();
    for (const [key, since] of this.waitingSince)
      if (now - since > 2 * this.holdMs) this.waitingSince.delete(key);
    const since = this.waitingSince.get(item) ?? now;
    if (now - since >= this.holdMs) {
      this.givenUp.add(gap);
      this.settle(item);
      return 'refuse';
    }
    this.waitingSince.set(item, since);
    return 'hold';
  }

  /** The change was routed or refused: it no longer waits. */
  settle(item: string): void {
    this.waitingSince.delete(item);
  }

  /** New contracts: gaps given up on may be declared now. */
  contractsChanged(): void {
    this.givenUp.clear();
  }

  /** Changes waiting now (for a gauge). */
  get waiting(): number {
    return this.waitingSince.size;
  }

  /** Since when `item` waits, if it does. */
  heldSince(item: string): number | undefined {
    return this.waitingSince.get(item);
  }
}

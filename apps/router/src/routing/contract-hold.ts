import { TablelaneError } from '@app/config';
import { ContractGapPolicy } from '@app/contracts';
import type { PipelineRecord } from '@app/kafka';
import type { RouteResult } from './route-record';

const CONTRACT_GAPS = new Set(['UNKNOWN_TABLE', 'UNKNOWN_COLUMN']);

/**
 * The record names a table or column the router's contracts do not know yet, and the hold
 * bound has not passed: retrying helps (a contract rollout is on its way), so the pipeline
 * retries the batch with backoff instead of dead-lettering the record.
 */
export class ContractGapHeld extends TablelaneError {
  readonly code = 'CONTRACT_GAP_HELD';
  readonly retriable = true;
  constructor(record: PipelineRecord, reason: string, heldMs: number) {
    super(
      `partition ${record.partition} offset ${record.offset} waits for a contract that knows it (${Math.round(heldMs / 1000)} s so far): ${reason}`,
    );
    this.name = 'ContractGapHeld';
  }
}

export interface ContractHoldOptions {
  /** Re-reads the contract file; true when the tables changed (the context is then new). */
  reload(): Promise<boolean>;
  /** How long a record may wait for a contract that knows it before it is dead-lettered. */
  holdMs: number;
  /** Records waiting now, for the held-changes gauge. */
  onHeld(count: number): void;
  now?: () => number;
}

/**
 * Producers may run a newer contract than the router during a rollout (the SDK validates with
 * its own copy): a change using a new column must not be dead-lettered just because the
 * router's ConfigMap has not arrived yet. Such a result is checked again after a reload, then
 * held (its partition waits, bounded; see ContractGapPolicy), and dead-lettered after that.
 */
export class ContractHold {
  private readonly policy: ContractGapPolicy;

  constructor(private readonly o: ContractHoldOptions) {
    this.policy = new ContractGapPolicy(o.holdMs, o.now);
  }

  async route(record: PipelineRecord, route: () => Promise<RouteResult>): Promise<RouteResult> {
    const item = `${record.topic}/${record.partition}/${record.offset}`;
    let result = await route();
    if (isGap(result) && (await this.o.reload())) {
      this.policy.contractsChanged();
      result = await route();
    }
    if (!isGap(result) || this.policy.decide(item, result.error.message) === 'refuse') {
      this.policy.settle(item);
      this.o.onHeld(this.policy.waiting);
      return result;
    }
    this.o.onHeld(this.policy.waiting);
    const since = this.policy.heldSince(item)!;
    throw new ContractGapHeld(record, result.error.message, (this.o.now ?? Date.now)() - since);
  }
}

function isGap(result: RouteResult): result is Extract<RouteResult, { kind: 'dead' }> {
  return result.kind === 'dead' && CONTRACT_GAPS.has(result.error.code);
}

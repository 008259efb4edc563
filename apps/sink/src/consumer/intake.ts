import { findTable, TablelaneError, type TableContract, type TablelaneConfig } from '@app/config';
import {
  ChangeRejected,
  ContractGapPolicy,
  isContractGap,
  parseChangeJson,
  type CanonicalChange,
  type DeadLetterReason,
  type WarehouseValueRules,
} from '@app/contracts';
import type { Logger } from '@app/observability';
import type { Destination } from '@app/warehouse';
import type { ConsumedRecord, DeadLetterSource } from '@app/kafka';
import { hitFaultPoint } from '../flush/fault-points';
import { withRetry } from '../flush/retry';
import type { Lane } from '../lane/lane';
import { TableLane } from '../lane/table-lane';
import type { SinkMetrics } from '../metrics/sink-metrics';

export interface IntakeDeps {
  /** The table contracts in force now (they change when the contract file is reloaded). */
  contracts(): TablelaneConfig;
  /**
   * Re-reads the contract file now; true when tables changed. Called when a change names a table
   * or column the contracts do not know: its producer may already run a newer contract.
   */
  reloadContracts(): Promise<boolean>;
  /** How long a lane waits for a contract that knows such a change before dead-lettering it. */
  contractHoldMs: number;
  /** What the warehouse loads as sent; anything else is dead-lettered before it reaches a batch. */
  rules: WarehouseValueRules;
  destination: Destination;
  metrics: SinkMetrics;
  logger: Logger;
  ownerId: string;
  deadLetter(source: DeadLetterSource, reason: DeadLetterReason): Promise<void>;
  isCurrent(lane: Lane): boolean;
  /** See TableFlusherDeps.stillOwner. */
  stillOwner(lane: Lane): Promise<boolean>;
}

/**
 * The change names a table or column the contracts do not know yet: the lane waits (the change
 * is fetched again) for a reload, up to the hold bound, instead of dead-lettering it.
 */
export class ChangeHeld extends TablelaneError {
  readonly code = 'CHANGE_HELD';
  /** The change is fetched again once the contracts may know it. */
  readonly retriable = true;
  constructor(
    partition: number,
    readonly reason: string,
  ) {
    super(`lane ${partition} holds a change the contracts do not know yet: ${reason}`);
    this.name = 'ChangeHeld';
  }
}

/** This process is no longer the group's owner of the lane: stop taking its messages. */
export class NotLaneOwner extends TablelaneError {
  readonly code = 'NOT_LANE_OWNER';
  readonly retriable = false;
  constructor(partition: number) {
    super(`this process no longer owns lane ${partition} in the consumer group`);
    this.name = 'NotLaneOwner';
  }
}

/**
 * Takes one message into its lane: buffered for its table, skipped because the table's
 * checkpoint already covers it, or dead-lettered because it is not a valid change.
 */
export class Intake {
  private readonly gaps: ContractGapPolicy;

  constructor(private readonly d: IntakeDeps) {
    this.gaps = new ContractGapPolicy(d.contractHoldMs);
  }

  async take(lane: Lane, message: ConsumedRecord): Promise<void> {
    const offset = Number(message.offset);
    const text = message.value?.toString('utf8') ?? '';
    try {
      const change = await this.parse(lane, offset, text);
      const table = await this.tableLane(lane, findTable(this.d.contracts(), change.table)!);
      this.d.metrics.changesConsumed.inc({ table: change.table });
      if (offset <= table.checkpoint) {
        this.d.metrics.changesSkipped.inc({ table: change.table });
      } else {
        table.add({
          offset,
          change,
          bytes: text.length,
          receivedAt: Date.now(),
          raw: { key: copy(message.key), value: copy(message.value) },
        });
      }
    } catch (error) {
      if (!(error instanceof ChangeRejected)) throw error;
      await this.d.deadLetter(
        {
          topic: lane.topic,
          partition: lane.partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
        },
        { code: error.code, message: error.message },
      );
      this.d.metrics.deadLetters.inc({ code: error.code });
      lane.deadLetters++;
      this.d.logger.warn(
        { partition: lane.partition, offset: message.offset, code: error.code, reason: error.message },
        'change refused; sent to the dead-letter topic',
      );
    }
    lane.advance(offset);
  }

  /**
   * Validates against the contracts in force; a change they do not know yet is checked again
   * after a reload, then held (see ContractGapPolicy), and only then refused (dead-lettered).
   */
  private async parse(lane: Lane, offset: number, text: string): Promise<CanonicalChange> {
    const item = `${lane.partition}/${offset}`;
    try {
      const change = parseChangeJson(this.d.contracts(), text, this.d.rules);
      this.gaps.settle(item);
      lane.holdingSince = undefined;
      return change;
    } catch (error) {
      if (!isContractGap(error)) throw error;
      if (await this.d.reloadContracts()) {
        this.gaps.contractsChanged();
        return this.parse(lane, offset, text);
      }
      if (this.gaps.decide(item, error.message) === 'refuse') {
        lane.holdingSince = undefined;
        throw error;
      }
      lane.holdingSince = this.gaps.heldSince(item);
      throw new ChangeHeld(lane.partition, error.message);
    }
  }

  /**
   * The table's state on this lane, claimed when the lane first meets the table. A claim bumps
   * the table's fencing epoch, so a process whose group membership ended (a zombie woken up
   * after its lanes moved) must not make one: ask the coordinator first. A zombie that slips
   * through between that answer and its claim is fenced in turn by the live owner, which
   * claims the table back (see TableFlusher).
   */
  private async tableLane(lane: Lane, contract: TableContract): Promise<TableLane> {
    const existing = lane.tables.get(contract.name);
    if (existing) return existing;
    if (!(await this.d.stillOwner(lane))) throw new NotLaneOwner(lane.partition);
    if (lane.tables.size > 0) hitFaultPoint('before-claim');
    const claim = await withRetry(
      () => this.d.destination.claimLane(contract, lane.topic, lane.partition, this.d.ownerId),
      {
        shouldContinue: () => this.d.isCurrent(lane),
        onRetry: (error, attempt, delayMs, code) => {
          this.d.metrics.retries.inc({ table: contract.name, code });
          this.d.logger.warn(
            { table: contract.name, partition: lane.partition, attempt, delayMs, code, err: error },
            'claiming lane failed; retrying',
          );
        },
      },
    );
    this.d.logger.info(
      { table: contract.name, partition: lane.partition, checkpoint: claim.lastOffset, epoch: claim.epoch },
      'lane claimed',
    );
    const table = new TableLane(contract, claim);
    lane.tables.set(contract.name, table);
    return table;
  }
}

/** A message's buffers may be views into a whole fetch response; keep only our bytes. */
function copy(buffer: Buffer | null): Buffer | null {
  return buffer === null ? null : Buffer.from(buffer);
}

import { GroupMembershipLost, type BatchConsumer } from '@app/kafka';
import type { Logger } from '@app/observability';
import { errorCode } from '@app/warehouse';
import { hitFaultPoint } from '../flush/fault-points';
import type { Lane } from '../lane/lane';

/** The Kafka side of a lane: committing its offset, and asking the group whether it is still ours. */
export class LaneOffsets {
  constructor(
    private readonly consumer: BatchConsumer,
    private readonly logger: Logger,
    private readonly isCurrent: (lane: Lane) => boolean,
  ) {}

  /**
   * Commits the lane's floor: the lowest offset not yet durable for any of its tables. Every
   * offset below it is in the warehouse (its checkpoint committed first), skipped, or
   * dead-lettered, so a crash after this commit loses nothing, and one before it re-reads
   * changes that the checkpoints then skip.
   */
  commit(lane: Lane): Promise<void> {
    return lane.serializeCommit(async () => {
      if (!this.isCurrent(lane)) return;
      const floor = lane.commitFloor();
      if (floor <= lane.committedOffset) return;
      hitFaultPoint('after-commit');
      try {
        await this.commitOffset(lane, floor);
      } catch (error) {
        // Safe to leave: the warehouse checkpoints already record the batches.
        this.logger.warn(
          { partition: lane.partition, offset: floor, code: errorCode(error), err: error },
          'offset commit failed; the checkpoints cover it',
        );
      }
    });
  }

  /**
   * Whether the group coordinator still counts this process as the owner of the lane: a
   * commit of the lane's floor is accepted only from the current generation's member.
   * Throws when the coordinator cannot be asked.
   */
  async stillOwner(lane: Lane): Promise<boolean> {
    if (!this.isCurrent(lane)) return false;
    try {
      await lane.serializeCommit(() =>
        this.commitOffset(lane, Math.max(lane.commitFloor(), lane.committedOffset)),
      );
      return true;
    } catch (error) {
      if (error instanceof GroupMembershipLost) return false;
      throw error;
    }
  }

  private async commitOffset(lane: Lane, offset: number): Promise<void> {
    await this.consumer.commit(lane.topic, lane.partition, String(offset));
    lane.committed(offset);
  }
}

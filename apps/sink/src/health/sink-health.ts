import type { HealthSettings } from '@app/config';
import { judgeLane, type LaneHealthInput, type LaneVerdict } from './lane-health';
import { withBlockers, type BlockerInput } from './lock-holders';

/** What health reads of the runner's status. */
export interface HealthSource {
  consuming: boolean;
  lanes: readonly LaneHealthInput[];
  /** Current lock-wait episodes per table, with who holds the lock. */
  blocked: readonly { table: string; blockers: readonly BlockerInput[] }[];
}

/** A lane as /status shows it: the runner's fields plus the health verdict. */
export type JudgedLane = LaneHealthInput & {
  state: LaneVerdict['state'];
  stallCause: LaneVerdict['cause'];
  stalledReason: string | null;
  noProgressSeconds: number;
};

/**
 * The sink's answer to "is it healthy?", from the runner's status at the moment of asking.
 * Readiness tells people and rollouts that a lane of this pod is stalled; liveness fails only
 * where a restart can help, since a stall caused by a lock or a refused batch moves with the
 * lane and a restart stalls every other lane of the pod while the group rebalances.
 */
export class SinkHealth {
  private started = false;
  private stopping = false;
  /** Per partition, when this sink first saw the lane behind (cleared once it is caught up). */
  private behindSince = new Map<number, number>();

  constructor(
    private readonly source: () => HealthSource,
    readonly settings: HealthSettings,
  ) {}

  /** The runner started consuming: from now on, not consuming means the consumer stopped. */
  markConsuming(): void {
    this.started = true;
  }

  /** A graceful stop began: the consumer stopping is expected, not a failure. */
  markStopping(): void {
    this.stopping = true;
  }

  verdicts(now = Date.now()): LaneVerdict[] {
    return this.judge(this.source(), now).map(({ verdict }) => verdict);
  }

  /** The runner's status with each lane's verdict: the body of /status. */
  status(
    now = Date.now(),
  ): Omit<HealthSource, 'lanes'> & { stallThresholdSeconds: number; lanes: JudgedLane[] } {
    const status = this.source();
    return {
      ...status,
      stallThresholdSeconds: this.settings.stallThresholdMs / 1000,
      lanes: this.judge(status, now).map(({ lane, verdict }) => ({
        ...lane,
        state: verdict.state,
        stallCause: verdict.cause,
        stalledReason: verdict.stalledReason,
        noProgressSeconds: Math.floor(verdict.noProgressMs / 1000),
      })),
    };
  }

  /**
   * Judges every lane. Also notes when each lane was first seen behind: the stall monitor asks
   * every second, so that time is never more than a second (plus the lag probe's period) late.
   */
  private judge(status: HealthSource, now: number): { lane: LaneHealthInput; verdict: LaneVerdict }[] {
    const behindSince = new Map<number, number>();
    for (const lane of status.lanes)
      if (lane.lagMessages > 0) behindSince.set(lane.partition, this.behindSince.get(lane.partition) ?? now);
    this.behindSince = behindSince;
    return status.lanes.map((lane) => ({
      lane,
      verdict: judgeLane(
        withBlockers(lane, status.blocked),
        now,
        this.settings.stallThresholdMs,
        behindSince.get(lane.partition),
      ),
    }));
  }

  /** Why this pod should not count as ready: one reason per stalled lane (empty: ready). */
  stalledLanes(now = Date.now()): string[] {
    return this.verdicts(now).flatMap((v) =>
      v.stalledReason && v.state === 'stalled' ? [v.stalledReason] : [],
    );
  }

  /** Why a restart is the cure (empty: alive). */
  livenessProblems(now = Date.now()): string[] {
    const problems: string[] = [];
    if (this.started && !this.stopping && !this.source().consuming)
      problems.push('the Kafka consumer stopped; a restart rejoins the group');
    for (const v of this.verdicts(now))
      if (v.state === 'stalled' && v.restartMayHelp && v.noProgressMs >= this.settings.restartAfterMs)
        problems.push(`${v.stalledReason}; no table reports an error, so the consumer looks wedged`);
    return problems;
  }
}

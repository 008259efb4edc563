import type { CanonicalChange } from '@app/contracts';

/** A validated change waiting in a lane, with its place in the lane. */
export interface BufferedChange {
  offset: number;
  change: CanonicalChange;
  /** Size as received, for the flush and memory thresholds. */
  bytes: number;
  /** When the sink received it (epoch ms), for the age threshold. */
  receivedAt: number;
  /** The record as received, so a change the warehouse refuses is dead-lettered byte for byte. */
  raw: { key: Buffer | null; value: Buffer | null };
}

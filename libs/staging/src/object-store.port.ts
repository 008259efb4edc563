import type { Readable } from 'node:stream';

/** Where batches are staged before the warehouse loads them. */
export interface ObjectStore {
  /** Writes the object; writing the same key again replaces it (retries never duplicate). */
  put(key: string, body: Buffer): Promise<void>;
  get(key: string): Promise<Readable>;
  /** `s3://bucket/key`, as warehouses that load from S3 name it. */
  uri(key: string): string;
  /** Whether the bucket answers, for readiness probes. */
  ping(): Promise<boolean>;
}

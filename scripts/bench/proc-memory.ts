import { readFileSync } from 'node:fs';

/** Resident memory of a process now (VmRSS) and at its peak (VmHWM), in bytes; undefined once it has exited. */
export function residentMemory(pid: number): { rss: number; peak: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}

/** Samples the resident memory of some processes on an interval and keeps the highest value. */
export class MemorySampler {
  private timer?: NodeJS.Timeout;
  maxRss = 0;

  constructor(private readonly pids: number[]) {}

  start(intervalMs = 500): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    return this;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.maxRss;
  }

  private sample(): void {
    for (const pid of this.pids) this.maxRss = Math.max(this.maxRss, residentMemory(pid)?.rss ?? 0);
  }
}

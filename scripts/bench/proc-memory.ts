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

/**
 * Samples the resident memory of some processes on an interval and keeps the highest value,
 * overall (`maxRss`) and per process (`peaks()`).
 */
export class MemorySampler {
  private timer?: NodeJS.Timeout;
  maxRss = 0;
  private readonly tracked = new Map<number, { name: string; wholeLife: boolean; peak: number }>();

  constructor(pids: number[] = []) {
    for (const pid of pids) this.track(pid, String(pid));
  }

  /**
   * Samples one more process, under a name (processes of one name count as one, their highest
   * value). `wholeLife`: the process started in the measured window, so its own high-water mark
   * (VmHWM) counts too, catching a peak between two samples.
   */
  track(pid: number, name: string, wholeLife = false): this {
    this.tracked.set(pid, { name, wholeLife, peak: 0 });
    this.sampleOne(pid);
    return this;
  }

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

  /** Peak resident bytes by process name, in the order tracked. */
  peaks(): Record<string, number> {
    const peaks: Record<string, number> = {};
    for (const { name, peak } of this.tracked.values()) peaks[name] = Math.max(peaks[name] ?? 0, peak);
    return peaks;
  }

  private sample(): void {
    for (const pid of this.tracked.keys()) this.sampleOne(pid);
  }

  private sampleOne(pid: number): void {
    const entry = this.tracked.get(pid)!;
    const memory = residentMemory(pid);
    if (!memory) return;
    entry.peak = Math.max(entry.peak, memory.rss, entry.wholeLife ? memory.peak : 0);
    this.maxRss = Math.max(this.maxRss, entry.peak);
  }
}

import { readdirSync, readFileSync } from 'node:fs';

/** CPU time spent during a measured window, by component of the pipeline. */
export interface CpuUsage {
  /** Share of all cores busy during the window (1 = every core busy all the time). */
  busy: number;
  /** CPU seconds per component (producers, gateway, router, sinks, kafka, postgres, ...). */
  seconds: Record<string, number>;
}

/** Linux reports process times in clock ticks; USER_HZ is 100 on every common architecture. */
const TICKS_PER_SECOND = 100;
const STACK_COMPONENTS: Record<string, string> = {
  kafka: 'kafka',
  registry: 'schema registry',
  s3: 's3 (s3proxy)',
};

/**
 * Measures where the machine's CPU goes during a run, from /proc: each process is put into a
 * component (ours by pid, the stack's JVMs by their -Dtablelane.stack= flag, PostgreSQL by
 * name, everything else as `other`). Processes that exit during the window are not counted;
 * a process that starts during it counts with all its CPU time (it had none before).
 */
export class CpuMeter {
  private before = new Map<number, number>();
  private machineBefore = { busy: 0, total: 0 };

  constructor(private readonly ours: Map<number, string>) {}

  /** Counts a process under a component of its own; one started during the window counts whole. */
  track(pid: number, component: string): this {
    this.ours.set(pid, component);
    return this;
  }

  start(): this {
    this.before = processTicks();
    this.machineBefore = machineTicks();
    return this;
  }

  stop(): CpuUsage {
    const after = processTicks();
    const machine = machineTicks();
    const seconds: Record<string, number> = {};
    for (const [pid, ticks] of after) {
      const spent = ticks - (this.before.get(pid) ?? 0);
      if (spent <= 0) continue;
      const component = this.componentOf(pid);
      seconds[component] = (seconds[component] ?? 0) + spent / TICKS_PER_SECOND;
    }
    const total = machine.total - this.machineBefore.total;
    return {
      busy: total > 0 ? (machine.busy - this.machineBefore.busy) / total : Number.NaN,
      seconds: Object.fromEntries(
        Object.entries(seconds)
          .sort((a, b) => b[1] - a[1])
          .map(([name, s]) => [name, Math.round(s * 100) / 100]),
      ),
    };
  }

  private componentOf(pid: number): string {
    const ours = this.ours.get(pid);
    if (ours) return ours;
    const cmdline = read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
    const stack = /-Dtablelane\.stack=(\w+)/.exec(cmdline)?.[1];
    if (stack) return STACK_COMPONENTS[stack] ?? stack;
    if (read(`/proc/${pid}/comm`).trim() === 'postgres') return 'postgres';
    return 'other';
  }
}

/** utime + stime of every process now, by pid. */
function processTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = read(`/proc/${entry}/stat`);
    // Fields after the command name (which may hold spaces), per proc(5): utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length < 13) continue;
    ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

/** Busy and total ticks of the whole machine (all cores), from the `cpu` line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = read('/proc/stat').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user.
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

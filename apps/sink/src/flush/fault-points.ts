/**
 * Test-only crash points. TABLELANE_FAULTS="after-stage=0.3,after-commit=0.2" makes the sink
 * SIGKILL itself at that step with that probability, so the crash tests can kill it at the
 * worst moments. Unset (always, in production), hitting a point does nothing.
 */
export type FaultPoint = 'after-stage' | 'after-copy' | 'after-commit';

const configured = new Map(
  (process.env.TABLELANE_FAULTS ?? '')
    .split(',')
    .map((entry) => entry.split('='))
    .filter(([name, p]) => name && p)
    .map(([name, p]) => [name!.trim(), Number(p)] as const),
);

export function hitFaultPoint(point: FaultPoint): void {
  const probability = configured.get(point);
  if (probability && Math.random() < probability) {
    process.stderr.write(`tablelane: fault point ${point} hit, SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

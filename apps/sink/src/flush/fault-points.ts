/**
 * Test-only fault points, so integration suites can hurt the sink at the worst moments.
 * TABLELANE_FAULTS="after-stage=0.3" makes the sink SIGKILL itself at that step with that
 * probability; "after-stage=stop" makes it SIGSTOP itself there once (a frozen, soon stale
 * owner that wakes up on SIGCONT). Unset, as always in production, a fault point does nothing.
 */
export type FaultPoint =
  | 'after-stage'
  | 'after-copy'
  | 'after-commit'
  /** A lane meets a table after its first: past the ownership check, before the claim. */
  | 'before-claim';

const configured = new Map(
  (process.env.TABLELANE_FAULTS ?? '')
    .split(',')
    .map((entry) => entry.split('='))
    .filter(([name, action]) => name && action)
    .map(([name, action]) => [name!.trim(), action!.trim()] as const),
);

export function hitFaultPoint(point: FaultPoint): void {
  const action = configured.get(point);
  if (!action) return;
  if (action === 'stop') {
    configured.delete(point);
    process.stderr.write(`tablelane: fault point ${point} hit, SIGSTOP\n`);
    process.kill(process.pid, 'SIGSTOP');
    return;
  }
  if (Math.random() < Number(action)) {
    process.stderr.write(`tablelane: fault point ${point} hit, SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

/** Summary of a set of latencies, in seconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Share of values at or under 2 s (the latency target). */
  under2s: number;
}

/** Nearest-rank quantile of sorted values: the smallest value with at least q of them at or under it. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(seconds: number[]): LatencySummary {
  const sorted = [...seconds].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    under2s: sorted.length === 0 ? Number.NaN : sorted.filter((s) => s <= 2).length / sorted.length,
  };
}

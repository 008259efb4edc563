import type { LaneHealthInput } from './lane-health';

/** A session holding a lock the loader waits for (a subset of the warehouse's Blocker). */
export interface BlockerInput {
  pid: number;
  user: string | null;
  mode: string;
  query: string | null;
}

const QUERY_CHARS = 80;

/** "blocked by pid 123 (alice, AccessExclusiveLock: BEGIN; LOCK TABLE ...)": who to call. */
function blockedByText(blockers: readonly BlockerInput[]): string {
  const shown = blockers.slice(0, 2).map((b) => {
    const query = b.query && b.query.length > QUERY_CHARS ? `${b.query.slice(0, QUERY_CHARS)}…` : b.query;
    return `pid ${b.pid} (${[b.user ?? 'unknown user', b.mode].join(', ')}${query ? `: ${query}` : ''})`;
  });
  const more = blockers.length > 2 ? ` and ${blockers.length - 2} more` : '';
  return `blocked by ${shown.join(', ')}${more}`;
}

/** The lane with each failing table's last error followed by who blocks it, when a lock does. */
export function withBlockers(
  lane: LaneHealthInput,
  blocked: readonly { table: string; blockers: readonly BlockerInput[] }[],
): LaneHealthInput {
  if (!lane.tables.some((t) => t.failingSince)) return lane;
  return {
    ...lane,
    tables: lane.tables.map((table) => {
      const blockers = blocked.find((b) => b.table === table.table)?.blockers ?? [];
      if (!table.failingSince || blockers.length === 0) return table;
      return { ...table, lastError: `${table.lastError ?? 'lock wait'} (${blockedByText(blockers)})` };
    }),
  };
}

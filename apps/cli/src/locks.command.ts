import type { TablelaneConfig } from '@app/config';
import type { Blocker, Destination } from '@app/warehouse';

export type BlockedWork = 'loads and DDL' | 'DDL';

/**
 * Sessions that hold locks on tablelane's tables, and what they block. Every lock conflicts
 * with the ACCESS EXCLUSIVE lock a schema change needs, so a reader that never delays a load
 * still stalls the sink's ALTER TABLE: both kinds are shown unless `loadsOnly`.
 */
export async function currentBlockers(
  config: TablelaneConfig,
  destination: Destination,
  loadsOnly: boolean,
): Promise<(Blocker & { table: string; blocks: BlockedWork })[]> {
  const all: (Blocker & { table: string; blocks: BlockedWork })[] = [];
  for (const contract of config.tables) {
    const loads = await destination.findBlockers(contract, false);
    const ddl = loadsOnly ? [] : await destination.findBlockers(contract, true);
    const blocksLoads = new Set(loads.map((b) => `${b.pid}\u0000${b.relation}`));
    for (const blocker of loads) all.push({ table: contract.name, blocks: 'loads and DDL', ...blocker });
    for (const blocker of ddl)
      if (!blocksLoads.has(`${blocker.pid}\u0000${blocker.relation}`))
        all.push({ table: contract.name, blocks: 'DDL', ...blocker });
  }
  return all;
}

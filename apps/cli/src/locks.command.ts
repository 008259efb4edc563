import type { TablelaneConfig } from '@app/config';
import type { Blocker, Destination } from '@app/warehouse';

/** Sessions that currently hold locks that would block tablelane's loads (or its DDL, with forDdl). */
export async function currentBlockers(
  config: TablelaneConfig,
  destination: Destination,
  forDdl: boolean,
): Promise<(Blocker & { table: string })[]> {
  const all: (Blocker & { table: string })[] = [];
  for (const contract of config.tables) {
    for (const blocker of await destination.findBlockers(contract, forDdl))
      all.push({ table: contract.name, ...blocker });
  }
  return all;
}

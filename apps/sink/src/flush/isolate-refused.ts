import type { BufferedChange } from '../lane/buffered-change';

export interface Refusal {
  code: string;
  message: string;
}

/**
 * Finds the changes the warehouse refuses on their own, by bisection: a half that loads is
 * clean, a half that fails is split again, down to single changes. Costs about
 * 2·k·log2(n) probe loads for k refused changes among n, instead of n single-row loads.
 */
export async function isolateRefused(
  changes: BufferedChange[],
  probe: (subset: BufferedChange[]) => Promise<Refusal | undefined>,
): Promise<(Refusal & { change: BufferedChange })[]> {
  const found: (Refusal & { change: BufferedChange })[] = [];
  const search = async (subset: BufferedChange[]): Promise<void> => {
    const refusal = await probe(subset);
    if (!refusal) return;
    if (subset.length === 1) {
      found.push({ change: subset[0]!, ...refusal });
      return;
    }
    const middle = Math.ceil(subset.length / 2);
    await search(subset.slice(0, middle));
    await search(subset.slice(middle));
  };
  await search(changes);
  return found;
}

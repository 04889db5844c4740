/**
 * What the interleaving samples' tasks (WCP-17, 39, 40) write as they run: `+name` when a task starts, `-name` when it
 * ends, with turns of the event loop between, so tasks running at the same moment interleave their entries.
 */
import { code } from '../../functions/builders.ts';

export const journal: string[] = [];

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A task that takes a few turns of the event loop, journalled; exclusive, as a task that touches the outside world. */
export const task = (name: string) =>
  code(
    name,
    async () => {
      journal.push(`+${name}`);
      for (let i = 0; i < 5; i++) await turn();
      journal.push(`-${name}`);
    },
    { exclusive: true },
  );

/** Whether no two journalled tasks were active at the same moment: each start is followed by its own end. */
export function oneAtATime(entries: readonly string[]): boolean {
  for (let i = 0; i < entries.length; i += 2)
    if (!entries[i]!.startsWith('+') || entries[i + 1] !== `-${entries[i]!.slice(1)}`) return false;
  return true;
}

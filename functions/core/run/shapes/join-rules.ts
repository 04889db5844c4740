import type { JoinPolicy, RestPolicy } from '../../definition.ts';
import type { RunState } from '../run-state.ts';
import { blockNext } from './blocking.ts';

/**
 * How many of `total` (branches forked, items listed) a join waits for, when not all (undefined: all of them). An
 * `atLeast` beyond `total` could never be met: the definition is at fault, and the instance is suspended saying so.
 */
export function needOf(
  run: RunState,
  policy: JoinPolicy = 'all',
  key: string,
  total: number,
  what: { readonly shape: string; readonly of: string },
): number | undefined {
  if (policy === 'all') return undefined;
  if (policy === 'first') return 1;
  return run.evaluate(`the join of ${what.shape} could not tell how many ${what.of} it needs`, key, () => {
    const n = typeof policy.atLeast === 'function' ? policy.atLeast(run.context()) : policy.atLeast;
    if (!Number.isInteger(n) || n < 1 || n > total)
      throw new Error(
        `atLeast is ${n}, but there are ${total} ${what.of}: it must be a whole number from 1 to ${total}`,
      );
    return n === total ? undefined : n;
  });
}

/**
 * What becomes of the branch instances still running when the join at `key` went on: let run on (`ignore`), let run on
 * with the next visit waiting for them (`block`), or cancelled in this commit (`cancel`), saying why.
 */
export function leaveRest(
  run: RunState,
  rest: RestPolicy = 'cancel',
  key: string,
  unfinished: readonly string[],
  why: () => string,
): void {
  if (unfinished.length === 0) return;
  if (rest === 'ignore') run.letRunOn(unfinished);
  else if (rest === 'block') blockNext(run, key, unfinished);
  else run.outbox.push({ kind: 'cancel', instanceIds: unfinished, reason: `cancelled: ${why()}` });
}

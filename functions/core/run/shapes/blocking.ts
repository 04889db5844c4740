import { branchEnded, forkedBranches } from '../../branches.ts';
import type { Thread } from '../../instance.ts';
import type { RunResult, RunState } from '../run-state.ts';

/**
 * `rest: 'block'`: a join went on and let its other branch instances run on; entered again (a loop), the shape forks
 * only once every one of them ended (the Workflow Patterns' blocking discriminator and blocking partial join: the
 * join resets). What follows keeps the thread at the old fork until then, as at a join of all its branches: the same
 * wake-ups (each branch's end), the same watch.
 */

/** What a thread at a fork keeps of it, for a later visit to wait on. */
export type ForkOfThread = Pick<Thread, 'fork' | 'forked' | 'lanes' | 'count'>;

/** The join at `key` went on with `unfinished` still running: the next visit waits for them. */
export function blockNext(run: RunState, key: string, unfinished: readonly string[]): void {
  const { fork, forked, lanes, count } = run.thread;
  run.letRunOn(unfinished);
  run.blocking = {
    ...run.blocking,
    [key]: { fork, ...(forked ? { forked } : {}), ...(lanes ? { lanes, count } : {}) },
  };
}

/** Entered again while its previous fork may still run: the thread waits at that fork, loaded by the next run. */
export function waitForPrevious(run: RunState, key: string): RunResult | undefined {
  const previous = run.blocking[key];
  if (!previous) return undefined;
  run.thread = { ...run.thread, ...previous, draining: true };
  return run.finish('checkpoint');
}

/** At its previous fork: waiting while a branch of it runs; once all ended, the thread is free to fork again. */
export function drained(run: RunState, key: string): RunResult | undefined {
  const ids = forkedBranches(run.orchestration, run.current);
  const ended = ids.every((id) => branchEnded((run.options.branches ?? []).find((b) => b.instanceId === id)));
  if (!ended) return run.finish('waiting');
  const { fork: _f, forked: _d, lanes: _l, count: _c, need: _n, draining: _w, ...rest } = run.thread;
  run.thread = rest;
  const { [key]: _done, ...others } = run.blocking;
  run.blocking = others;
  return undefined;
}

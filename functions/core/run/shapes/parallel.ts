import { branchEnded, branchFailed, forkedBranches, joinNeed, joinReady } from '../../branches.ts';
import { concat } from '../../compensable.ts';
import type { InstanceState } from '../../instance.ts';
import { forkEntry } from '../fork-seed.ts';
import type { RunResult, RunState } from '../run-state.ts';
import { drained, waitForPrevious } from './blocking.ts';
import type { ShapeHandler } from './handler.ts';
import { leaveRest, needOf } from './join-rules.ts';

type ParallelShape = Parameters<ShapeHandler<'parallel'>>[1];

/**
 * Parallel Actions: the first visit forks (each branch its guard lets through becomes a branch instance, made by the
 * outbox once this commit lands) and waits; a visit once its join policy is met joins what the ended branches changed,
 * lets the rest be cancelled (or run on), and goes on.
 */
export const parallel: ShapeHandler<'parallel'> = (run, shape, key) => {
  if (run.thread.fork === undefined) return waitForPrevious(run, key) ?? fork(run, shape, key);
  if (run.thread.draining) return drained(run, key) ?? fork(run, shape, key);
  return join(run, shape, key);
};

function fork(run: RunState, shape: ParallelShape, key: string): RunResult | undefined {
  const chosen = shape.branches.filter(
    (b) =>
      b.when === undefined ||
      run.evaluate(`the guard of branch "${b.name}" of parallel "${shape.id}" failed`, key, () =>
        b.when!(run.context()),
      ),
  );
  // No branch chosen: nothing to wait for.
  if (chosen.length === 0) {
    run.advanceTo(run.after(key));
    return undefined;
  }
  const need = needOf(run, shape.join, key, chosen.length, { shape: `parallel "${shape.id}"`, of: 'branches' });
  const forked = chosen.length < shape.branches.length ? chosen.map((b) => b.name) : undefined;
  run.forks++;
  const outlives = shape.rest === 'ignore' || shape.rest === 'block';
  for (const branch of chosen) {
    run.outbox.push(
      forkEntry(run, key, branch.name, run.entry(key, branch.name), {
        ...(forked ? { forked } : {}),
        ...(need !== undefined ? { need } : {}),
        ...(outlives ? { outlives } : {}),
      }),
    );
  }
  run.thread = {
    ...run.thread,
    fork: run.forks,
    ...(forked ? { forked } : {}),
    ...(need !== undefined ? { need } : {}),
  };
  return run.finish('waiting');
}

/** Goes on once the join policy is met, or a branch failed (a fenced commit, so exactly once). */
function join(run: RunState, shape: ParallelShape, key: string): RunResult | undefined {
  const ids = forkedBranches(run.orchestration, run.current);
  const read = ids.map((id) => (run.options.branches ?? []).find((b) => b.instanceId === id));
  if (!joinReady(read, joinNeed(run.orchestration, run.current))) return run.finish('waiting');
  const ended = read.filter(branchEnded) as InstanceState[];
  const atFork = structuredClone(run.vars);
  const errors: string[] = [];
  for (const result of ended) {
    // Only what the branch changed is applied, in branch order: branches that touch different variables never
    // overwrite each other.
    for (const name of new Set([...Object.keys(atFork), ...Object.keys(result.vars)])) {
      if (!(name in result.vars)) delete run.vars[name];
      else if (JSON.stringify(result.vars[name]) !== JSON.stringify(atFork[name]))
        run.vars[name] = structuredClone(result.vars[name]);
    }
    run.compensable = concat(run.compensable, result.compensable ?? []);
    // A branch that failed into a handler, or was terminated, ended with its error.
    if (branchFailed(result)) errors.push(result.error!.reason);
  }
  // Branch instances expire by themselves; those an earlier version kept for their join are let go here.
  const kept = ended.filter((b) => b.awaitsRetire).map((b) => b.instanceId);
  if (kept.length > 0) run.outbox.push({ kind: 'retire', instanceIds: kept });
  const unfinished = ids.filter((_, i) => !branchEnded(read[i]));
  leaveRest(run, shape.rest, key, unfinished, () =>
    errors.length > 0
      ? `a sibling failed: ${errors[0]}`
      : `parallel "${shape.id}" went on once ${joinNeed(run.orchestration, run.current)} of ${ids.length} branches ended`,
  );
  const { fork: _joined, forked: _forked, need: _need, ...rest } = run.thread;
  run.thread = rest;
  if (errors.length > 0) return run.fail(errors.join('; '), key);
  run.advanceTo(run.after(key));
  return undefined;
}

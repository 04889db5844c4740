import { branchEnded } from '../../branches.ts';
import { concat } from '../../compensable.ts';
import { branchInstanceId } from '../../ids.ts';
import { InstanceStatus, type InstanceState } from '../../instance.ts';
import type { RunResult, RunState } from '../run-state.ts';
import type { ShapeHandler } from './handler.ts';

type ParallelShape = Parameters<ShapeHandler<'parallel'>>[1];

/**
 * Parallel Actions: the first visit forks (each branch becomes a branch instance, made by the outbox once this
 * commit lands) and waits; a visit once every branch instance ended joins what they changed and goes on.
 */
export const parallel: ShapeHandler<'parallel'> = (run, shape, key) =>
  run.thread.fork === undefined ? fork(run, shape, key) : join(run, shape, key);

function fork(run: RunState, shape: ParallelShape, key: string): RunResult {
  const { current, orchestration } = run;
  run.forks++;
  const handled =
    (run.thread.scopes ?? []).some((s) => orchestration.branchEntry.get(s)?.has('onError')) ||
    current.branchOf?.handled === true;
  const now = run.options.now();
  for (const branch of shape.branches) {
    const instanceId = branchInstanceId(current.instanceId, run.forks, branch.name, current.incarnation);
    run.outbox.push({
      kind: 'fork',
      branch: {
        instanceId,
        orchestration: current.orchestration,
        version: current.version,
        status: InstanceStatus.Running,
        cursor: { threads: [{ id: 'main', at: run.entry(key, branch.name), attempts: 0 }] },
        correlations: {},
        ...(current.trace ? { trace: current.trace } : {}),
        consumed: [],
        outbox: [],
        sendSequence: 0,
        causationId: run.causationId,
        revision: 0,
        failovers: 0,
        branchOf: {
          instanceId: current.instanceId,
          parallel: key,
          fork: run.forks,
          branch: branch.name,
          handled,
          watched: true,
          ...(current.incarnation ? { incarnation: current.incarnation } : {}),
        },
        createdAt: now,
        updatedAt: now,
      },
    });
  }
  run.thread = { ...run.thread, fork: run.forks };
  return run.finish('waiting');
}

/** Continues only when every branch instance ended (a fenced commit, so exactly once). */
function join(run: RunState, shape: ParallelShape, key: string): RunResult | undefined {
  const { current } = run;
  const ended = shape.branches.map((branch) => {
    const id = branchInstanceId(current.instanceId, run.thread.fork!, branch.name, current.incarnation);
    return (run.options.branches ?? []).find((b) => b.instanceId === id && branchEnded(b));
  });
  if (ended.some((b) => b === undefined)) return run.finish('waiting');
  const atFork = structuredClone(run.vars);
  const errors: string[] = [];
  for (const result of ended as InstanceState[]) {
    // Only what the branch changed is applied, in branch order: branches that touch different variables never
    // overwrite each other.
    for (const name of new Set([...Object.keys(atFork), ...Object.keys(result.vars)])) {
      if (!(name in result.vars)) delete run.vars[name];
      else if (JSON.stringify(result.vars[name]) !== JSON.stringify(atFork[name]))
        run.vars[name] = structuredClone(result.vars[name]);
    }
    run.compensable = concat(run.compensable, result.compensable ?? []);
    // A branch that failed into a handler, or was terminated, ended with its error.
    if (result.error !== undefined) errors.push(result.error.reason);
  }
  // Branch instances expire by themselves; those an earlier version kept for their join are let go here.
  const kept = (ended as InstanceState[]).filter((b) => b.awaitsRetire).map((b) => b.instanceId);
  if (kept.length > 0) run.outbox.push({ kind: 'retire', instanceIds: kept });
  const { fork: _joined, ...rest } = run.thread;
  run.thread = rest;
  if (errors.length > 0) return run.fail(errors.join('; '), key);
  run.advanceTo(run.after(key));
  return undefined;
}

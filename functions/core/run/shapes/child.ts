import { branchEnded, branchFailed, forkedBranches, wakeJoin } from '../../branches.ts';
import { END } from '../../definition.ts';
import { forkEntry } from '../fork-seed.ts';
import type { RunResult, RunState } from '../run-state.ts';
import type { ShapeHandler } from './handler.ts';

type ChildShape = Parameters<ShapeHandler<'child'>>[1];

/**
 * The longest id a child instance may have: each generation adds `~<fork>~<shape id>` to its parent's, and a
 * MessageBox key holds at most 2,048 bytes. Past it, recursion has gone deeper than any orchestration should.
 */
export const MAX_CHILD_ID_LENGTH = 1_024;

/**
 * A child orchestration: the first visit forks the child instance (made by the outbox once this commit lands) and
 * waits; the visit its end wakes takes its result, or raises its failure.
 */
export const child: ShapeHandler<'child'> = (run, shape, key) =>
  run.thread.fork === undefined ? fork(run, shape, key) : join(run, shape, key);

function fork(run: RunState, shape: ChildShape, key: string): RunResult {
  const vars = run.evaluate(`the parameters of child "${shape.id}" failed`, key, () => {
    const params = shape.params?.(run.context()) ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new Error(`they must be an object of variables, not ${JSON.stringify(params)}`);
    return structuredClone(params);
  });
  run.forks++;
  const entry = forkEntry(run, key, shape.id, run.entry(key, 'body'), { child: true }, { vars });
  if (entry.branch.instanceId.length > MAX_CHILD_ID_LENGTH) {
    run.forks--;
    return run.fail(
      `child "${shape.id}" of ${shape.callee.name} nests too deep: its instance id would be ${entry.branch.instanceId.length} characters (at most ${MAX_CHILD_ID_LENGTH})`,
      key,
    )!;
  }
  run.outbox.push(entry);
  run.thread = { ...run.thread, fork: run.forks };
  return run.finish('waiting');
}

/** Goes on once the child ended: its result into `into`, or its failure raised here (a fenced commit, so once). */
function join(run: RunState, shape: ChildShape, key: string): RunResult | undefined {
  const [id] = forkedBranches(run.orchestration, run.current);
  const ended = (run.options.branches ?? []).find((b) => b.instanceId === id);
  if (!branchEnded(ended)) return run.finish('waiting');
  const { fork: _joined, ...rest } = run.thread;
  run.thread = rest;
  if (branchFailed(ended)) return run.fail(ended!.error!.reason, key);
  if (shape.into !== undefined) run.vars[shape.into] = structuredClone(ended!.result);
  run.advanceTo(run.after(key));
  return undefined;
}

/** A child instance ends here, its sends persisted first: it keeps its result and wakes its parent. */
export const childEnd: ShapeHandler<'childEnd'> = (run, shape, key) => {
  if (run.current.branchOf?.child !== true) {
    return run.finish('suspended', {
      error: {
        reason: `reached the end of ${shape.callee} outside of a child instance`,
        shapeId: key,
        at: run.options.now(),
      },
    });
  }
  if (run.endsAfterSends()) return run.finish('checkpoint');
  const result = run.evaluate(`the result of ${shape.callee} failed`, key, () =>
    shape.result ? shape.result(run.context()) : run.vars,
  );
  run.advanceTo(END);
  run.outbox.push(wakeJoin(run.current, run.orchestration));
  return run.finish('completed', { error: undefined, result: structuredClone(result) });
};

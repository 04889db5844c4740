import { branchEnded, branchFailed, forkedBranches, joinNeed, joinReady, laneName, wakeJoin } from '../../branches.ts';
import { END } from '../../definition.ts';
import type { InstanceState } from '../../instance.ts';
import { forkEntry } from '../fork-seed.ts';
import type { RunResult, RunState } from '../run-state.ts';
import { drained, waitForPrevious } from './blocking.ts';
import type { ShapeHandler } from './handler.ts';
import { leaveRest, needOf } from './join-rules.ts';

type ForEachShape = Parameters<ShapeHandler<'forEach'>>[1];

/** Lanes when `maxConcurrency` is not given, and at most. */
export const FOR_EACH_LANES = { default: 10, max: 100 } as const;
/** The most items whose results `into` gathers into one variable. */
export const MAX_RESULTS_INTO = 1_000;

/**
 * For Each: the first visit reads the items and forks its lanes (branch instances, each running every lanes-th item
 * in turn; made by the outbox once this commit lands) and waits; a visit once its join policy is met gathers the
 * results, lets the lanes still running be cancelled (or run on), and goes on.
 */
export const forEach: ShapeHandler<'forEach'> = (run, shape, key) => {
  if (run.thread.fork === undefined) return waitForPrevious(run, key) ?? fork(run, shape, key);
  if (run.thread.draining) return drained(run, key) ?? fork(run, shape, key);
  return join(run, shape, key);
};

function fork(run: RunState, shape: ForEachShape, key: string): RunResult | undefined {
  const items = run.evaluate(`the items of forEach "${shape.id}" failed`, key, () => {
    const items = shape.items(run.context());
    if (!Array.isArray(items)) throw new Error(`they must be an array, not ${JSON.stringify(items)?.slice(0, 80)}`);
    if (shape.into !== undefined && items.length > MAX_RESULTS_INTO)
      throw new Error(
        `${items.length} items: into gathers the results of ${MAX_RESULTS_INTO} at most (send each result on instead)`,
      );
    return items;
  });
  if (items.length === 0) {
    if (shape.into !== undefined) run.vars[shape.into] = [];
    run.advanceTo(run.after(key));
    return undefined;
  }
  const need = needOf(run, shape.join, key, items.length, { shape: `forEach "${shape.id}"`, of: 'items' });
  const lanes = Math.min(shape.maxConcurrency ?? FOR_EACH_LANES.default, items.length);
  run.forks++;
  for (let lane = 0; lane < lanes; lane++) {
    const entry = forkEntry(run, key, laneName(lane), `${key}$next`, {
      lanes,
      count: items.length,
      ...(need !== undefined ? { need } : {}),
      ...(shape.rest === 'ignore' || shape.rest === 'block' ? { outlives: true } : {}),
    });
    // Before its first item: the first it takes is its number.
    run.outbox.push({ ...entry, branch: { ...entry.branch, lane: { index: lane - lanes, done: 0 } } });
  }
  run.thread = { ...run.thread, fork: run.forks, lanes, count: items.length, ...(need !== undefined ? { need } : {}) };
  return run.finish('waiting');
}

/** Goes on once the join policy is met, or an item failed (a fenced commit, so exactly once). */
function join(run: RunState, shape: ForEachShape, key: string): RunResult | undefined {
  const ids = forkedBranches(run.orchestration, run.current);
  const read = ids.map((id) => (run.options.branches ?? []).find((b) => b.instanceId === id));
  if (!joinReady(read, joinNeed(run.orchestration, run.current))) return run.finish('waiting');
  const lanes = read.filter((b): b is InstanceState => b !== undefined);
  const errors = lanes.filter(branchFailed).map((b) => b.error!.reason);
  if (shape.into !== undefined) {
    const results = new Array<unknown>(run.thread.count ?? 0).fill(null);
    for (const lane of lanes) for (const [i, r] of Object.entries(lane.lane?.results ?? {})) results[Number(i)] = r;
    run.vars[shape.into] = results;
  }
  const unfinished = ids.filter((_, i) => !branchEnded(read[i]));
  leaveRest(run, shape.rest, key, unfinished, () =>
    errors.length > 0
      ? `a sibling failed: ${errors[0]}`
      : `forEach "${shape.id}" went on once ${joinNeed(run.orchestration, run.current)} of ${run.thread.count} items ended`,
  );
  const { fork: _f, lanes: _l, count: _c, need: _n, ...rest } = run.thread;
  run.thread = rest;
  if (errors.length > 0) return run.fail(errors.join('; '), key);
  run.advanceTo(run.after(key));
  return undefined;
}

/**
 * A lane at the end of its For Each's steps (or before its first item): it records the item's result and takes its
 * next item, from the variables of the fork again; past the last, it ends and wakes the join. An item that sent
 * something is a persistence point (so a lane's outbox never holds more than one item's effects), and so is every
 * item when the join waits for fewer than all of them (its progress is what that join counts).
 */
export const forEachNext: ShapeHandler<'forEachNext'> = (run, marker, key) => {
  const shape = run.orchestration.shapes.get(marker.forEach);
  const of = run.current.branchOf;
  if (shape?.kind !== 'forEach' || !run.lane || of?.parallel !== marker.forEach) {
    return run.finish('suspended', {
      error: {
        reason: `reached the end of forEach "${marker.forEach}" outside of its lanes`,
        shapeId: key,
        at: run.options.now(),
      },
    });
  }
  const lane = run.lane;
  const base = lane.base ?? structuredClone(run.vars);
  let results = lane.results;
  if (lane.index >= 0 && shape.result) {
    const result = run.evaluate(`the result of forEach "${shape.id}" failed`, key, () => shape.result!(run.context()));
    results = { ...results, [lane.index]: structuredClone(result ?? null) };
  }
  const done = lane.index >= 0 ? lane.done + 1 : lane.done;
  const next = lane.index + (of.lanes ?? 1);
  const reports = lane.index >= 0 && of.need !== undefined && next < (of.count ?? 0);
  if (next >= (of.count ?? 0)) {
    if (run.endsAfterSends()) return run.finish('checkpoint');
    run.lane = { ...lane, done, base, ...(results ? { results } : {}) };
    run.advanceTo(END);
    run.outbox.push(wakeJoin(run.current, run.orchestration));
    return run.finish('completed', { error: undefined });
  }
  run.lane = { index: next, done, base, ...(results ? { results } : {}) };
  // Each item starts from the variables of the fork.
  for (const name of Object.keys(run.vars)) delete run.vars[name];
  Object.assign(run.vars, structuredClone(base));
  if (reports) run.outbox.push(wakeJoin(run.current, run.orchestration));
  run.advanceTo(run.entry(marker.forEach, 'body'));
  return reports || run.outbox.length > 0 ? run.finish('checkpoint') : undefined;
};

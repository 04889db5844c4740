import { branchInstanceId } from './ids.ts';
import type { CompiledOrchestration } from './program.ts';
import { InstanceStatus, type InstanceState, type JoinEntry, type Thread } from './instance.ts';

/** Names of the branches a thread at a Parallel Actions (or a For Each) forked: those its guards let through, else all. */
function forkedNames(orchestration: CompiledOrchestration, thread: Thread): readonly string[] {
  const shape = orchestration.shapes.get(thread.at);
  if (thread.forked) return thread.forked;
  if (shape?.kind === 'forEach') return laneNames(thread.lanes ?? 0);
  return shape?.kind === 'parallel' ? shape.branches.map((b) => b.name) : [];
}

/** A For Each's lanes are branches named by their number: `l0`, `l1`, ... */
export const laneName = (lane: number) => `l${lane}`;
const laneNames = (lanes: number) => Array.from({ length: lanes }, (_, k) => laneName(k));

/** Ids of the branch instances an instance waits on at a Parallel Actions join (or its child's), if it is at one. */
export function forkedBranches(orchestration: CompiledOrchestration, state: InstanceState): string[] {
  const thread = state.cursor.threads.find((t) => t.id === 'main');
  if (thread?.fork === undefined) return [];
  const fork = thread.fork;
  const shape = orchestration.shapes.get(thread.at);
  // A child orchestration: one instance, named by the shape's id.
  if (shape?.kind === 'child') return [branchInstanceId(state.instanceId, fork, shape.id, state.incarnation)];
  if (shape?.kind !== 'parallel' && shape?.kind !== 'forEach') return [];
  return forkedNames(orchestration, thread).map((name) =>
    branchInstanceId(state.instanceId, fork, name, state.incarnation),
  );
}

/** A branch instance has ended (and will not change again): completed, or terminated. */
export function branchEnded(branch: InstanceState | undefined): boolean {
  return branch?.status === InstanceStatus.Completed || branch?.status === InstanceStatus.Terminated;
}

/** A branch instance ended with an error: it failed into a handler, or was terminated. Its join raises it. */
export function branchFailed(branch: InstanceState | undefined): boolean {
  return branchEnded(branch) && branch!.error !== undefined;
}

/** What a branch instance counts for at its join: 1 once it ended well; a For Each's lane, the items it completed. */
function doneOf(branch: InstanceState | undefined): number {
  if (branch?.lane) return branchFailed(branch) ? 0 : branch.lane.done;
  return branchEnded(branch) && !branchFailed(branch) ? 1 : 0;
}

/** How far a fork's branch instances got, as read: ended ones and a lane's items (it only grows). */
export function progressOf(branches: readonly (InstanceState | undefined)[]): number {
  return branches.reduce((sum, b) => sum + doneOf(b) + (branchFailed(b) ? 1 : 0), 0);
}

/**
 * Whether a join may go on, given its branch instances as read: once `need` of them ended well (all when undefined;
 * for a For Each, `need` of its items), or at once when one failed.
 */
export function joinReady(branches: readonly (InstanceState | undefined)[], need = branches.length): boolean {
  if (branches.some(branchFailed)) return true;
  return branches.reduce((sum, b) => sum + doneOf(b), 0) >= need;
}

/**
 * How many branch instances the join of the instance at a join waits for (all of them, unless its policy says less);
 * for a For Each, how many of its items.
 */
export function joinNeed(orchestration: CompiledOrchestration, state: InstanceState): number {
  const thread = state.cursor.threads.find((t) => t.id === 'main');
  return thread?.need ?? thread?.count ?? forkedBranches(orchestration, state).length;
}

/** The other lanes of a For Each's lane, by id. */
export function siblingLanes(lane: InstanceState): string[] {
  const of = lane.branchOf!;
  return laneNames(of.lanes ?? 0)
    .filter((name) => name !== of.branch)
    .map((name) => branchInstanceId(of.instanceId, of.fork, name, of.incarnation));
}

/** What a branch instance dispatches when it ends: a wake-up for its orchestration's join, once its join may go on. */
export function wakeJoin(branch: InstanceState, orchestration: CompiledOrchestration | undefined): JoinEntry {
  const of = branch.branchOf!;
  const shape = orchestration?.shapes.get(of.parallel);
  if (shape?.kind === 'child') return { kind: 'join', instanceId: of.instanceId, siblings: [], fork: of.fork };
  // A lane's siblings are named when the wake-up is dispatched (see `siblingLanes`): up to 99 ids would weigh on
  // every commit of the lane that carries it.
  if (shape?.kind === 'forEach')
    return {
      kind: 'join',
      instanceId: of.instanceId,
      fork: of.fork,
      lanes: of.lanes ?? 0,
      need: of.need ?? of.count ?? 0,
    };
  if (shape?.kind !== 'parallel') return { kind: 'join', instanceId: of.instanceId };
  const siblings = (of.forked ?? shape.branches.map((b) => b.name))
    .filter((name) => name !== of.branch)
    .map((name) => branchInstanceId(of.instanceId, of.fork, name, of.incarnation));
  return {
    kind: 'join',
    instanceId: of.instanceId,
    siblings,
    fork: of.fork,
    ...(of.need !== undefined ? { need: of.need } : {}),
  };
}

import { branchInstanceId } from './ids.ts';
import type { CompiledOrchestration } from './definition.ts';
import { InstanceStatus, type InstanceState, type JoinEntry, type Thread } from './instance.ts';

/** Names of the branches a thread at a Parallel Actions forked: those its guards let through, else all. */
function forkedNames(orchestration: CompiledOrchestration, thread: Thread): readonly string[] {
  const shape = orchestration.shapes.get(thread.at);
  if (thread.forked) return thread.forked;
  return shape?.kind === 'parallel' ? shape.branches.map((b) => b.name) : [];
}

/** Ids of the branch instances an instance waits on at a Parallel Actions join (or its child's), if it is at one. */
export function forkedBranches(orchestration: CompiledOrchestration, state: InstanceState): string[] {
  const thread = state.cursor.threads.find((t) => t.id === 'main');
  if (thread?.fork === undefined) return [];
  const fork = thread.fork;
  const shape = orchestration.shapes.get(thread.at);
  // A child orchestration: one instance, named by the shape's id.
  if (shape?.kind === 'child') return [branchInstanceId(state.instanceId, fork, shape.id, state.incarnation)];
  if (shape?.kind !== 'parallel') return [];
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

/**
 * Whether a join may go on, given its branch instances as read (`need` of them, or all when undefined): once enough
 * ended well, or at once when one failed.
 */
export function joinReady(branches: readonly (InstanceState | undefined)[], need = branches.length): boolean {
  if (branches.some(branchFailed)) return true;
  return branches.filter((b) => branchEnded(b) && !branchFailed(b)).length >= need;
}

/** How many branch instances the join of the instance at a join waits for (all of them, unless its policy says less). */
export function joinNeed(orchestration: CompiledOrchestration, state: InstanceState): number {
  const thread = state.cursor.threads.find((t) => t.id === 'main');
  return thread?.need ?? forkedBranches(orchestration, state).length;
}

/** What a branch instance dispatches when it ends: a wake-up for its orchestration's join, once its join may go on. */
export function wakeJoin(branch: InstanceState, orchestration: CompiledOrchestration | undefined): JoinEntry {
  const of = branch.branchOf!;
  const shape = orchestration?.shapes.get(of.parallel);
  if (shape?.kind === 'child') return { kind: 'join', instanceId: of.instanceId, siblings: [], fork: of.fork };
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

import { branchInstanceId } from './ids.ts';
import type { CompiledOrchestration } from './definition.ts';
import { InstanceStatus, type InstanceState, type JoinEntry } from './instance.ts';

/** Ids of the branch instances an instance waits on at a Parallel Actions join, if it is at one. */
export function forkedBranches(orchestration: CompiledOrchestration, state: InstanceState): string[] {
  const thread = state.cursor.threads.find((t) => t.id === 'main');
  const shape = thread ? orchestration.shapes.get(thread.at) : undefined;
  if (thread?.fork === undefined || shape?.kind !== 'parallel') return [];
  return shape.branches.map((b) => branchInstanceId(state.instanceId, thread.fork!, b.name, state.incarnation));
}

/** A branch instance has ended (and will not change again): completed, or terminated. */
export function branchEnded(branch: InstanceState | undefined): boolean {
  return branch?.status === InstanceStatus.Completed || branch?.status === InstanceStatus.Terminated;
}

/** What a branch instance dispatches when it ends: a wake-up for its orchestration's join, once its siblings ended. */
export function wakeJoin(branch: InstanceState, orchestration: CompiledOrchestration | undefined): JoinEntry {
  const of = branch.branchOf!;
  const shape = orchestration?.shapes.get(of.parallel);
  if (shape?.kind !== 'parallel') return { kind: 'join', instanceId: of.instanceId };
  const siblings = shape.branches
    .filter((b) => b.name !== of.branch)
    .map((b) => branchInstanceId(of.instanceId, of.fork, b.name, of.incarnation));
  return { kind: 'join', instanceId: of.instanceId, siblings, fork: of.fork };
}

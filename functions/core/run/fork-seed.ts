import { branchInstanceId } from '../ids.ts';
import { InstanceStatus, type BranchOf, type ForkEntry } from '../instance.ts';
import { lockDomain } from '../locks.ts';
import type { RunState } from './run-state.ts';

/**
 * The fork entry of one instance the run forks at the shape at `key` (a parallel branch, a child orchestration): it
 * starts at `at`, runs the same orchestration version, and knows its parent by `branchOf`. Without `start`, it starts
 * with the forking instance's variables and bound messages as committed (added when the entry is dispatched).
 */
export function forkEntry(
  run: RunState,
  key: string,
  name: string,
  at: string,
  of: Omit<BranchOf, 'instanceId' | 'parallel' | 'fork' | 'branch' | 'handled' | 'watched' | 'incarnation' | 'root'>,
  start?: { vars: Record<string, unknown> },
): ForkEntry {
  const { current, orchestration } = run;
  // A failure in it is raised at its join when a scope around the fork (in this instance, or around this instance's
  // own fork) has an error handler; else it is suspended where it failed.
  const handled =
    (run.thread.scopes ?? []).some((s) => orchestration.branchEntry.get(s)?.has('onError')) ||
    current.branchOf?.handled === true;
  const now = run.options.now();
  // A branch of a branch shares its orchestration instance's locks; a child's are its own.
  const root = lockDomain(current);
  return {
    kind: 'fork',
    branch: {
      instanceId: branchInstanceId(current.instanceId, run.forks, name, current.incarnation),
      orchestration: current.orchestration,
      version: current.version,
      status: InstanceStatus.Running,
      cursor: { threads: [{ id: 'main', at, attempts: 0 }] },
      correlations: {},
      ...(current.trace ? { trace: current.trace } : {}),
      ...(start ? { vars: start.vars, messages: {} } : {}),
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
        branch: name,
        handled,
        watched: true,
        ...(current.incarnation ? { incarnation: current.incarnation } : {}),
        ...(of.child || root === current.instanceId ? {} : { root }),
        ...of,
      },
      createdAt: now,
      updatedAt: now,
    },
  };
}

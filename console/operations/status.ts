import { InstanceStatus, type InstanceState } from '../../functions/core/instance.ts';

/** What an instance's status is said as: `failed` for a parallel branch that ended with an error. */
export type ShownStatus = InstanceStatus | 'failed';

/**
 * An instance's status as an operator reads it. A parallel branch instance whose step failed, with an error handler
 * around its Parallel Actions, ends `completed` with its error (core/run/run-state.ts `fail`: the join raises it in
 * its orchestration): that branch failed, and is said so. Everything else is its status.
 */
export function shownStatus(state: Pick<InstanceState, 'status' | 'error'>): ShownStatus {
  return state.status === InstanceStatus.Completed && state.error ? 'failed' : state.status;
}

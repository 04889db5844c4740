import { InstanceStatus, TERMINAL_STATUSES, type InstanceState } from './instance.ts';

/**
 * When the sweeper should look at an instance if nothing else happens to it, and what to wake then. The
 * MessageBox keeps this beside each instance, in an index sorted by time, so a sweep reads only what is due:
 * its cost follows the work that was lost, not how many instances exist.
 *
 * - running: when its lease ends (or when it was written, with no lease): past that, its work item was lost;
 * - waiting on a timer: when the timer is due (the timer's work item may be lost);
 * - a finished branch instance its join has not read yet: when it ended, and what is due then is its join (the
 *   branch's wake-up of the join may be lost). The join retires it, which ends that.
 *
 * A waiting instance's unread delivery is due too; the store marks that when it delivers (see
 * `InstanceStore.deliver`), because it does not change the instance's state.
 */
export interface Due {
  /** Epoch ms. */
  readonly at: number;
  /** Set when what is due is the join of the orchestration instance that forked this branch instance. */
  readonly joinOf?: string;
}

export function dueOf(state: InstanceState): Due | undefined {
  if (state.status === InstanceStatus.Running) return { at: state.lease?.expiresAt ?? state.updatedAt };
  if (state.status === InstanceStatus.Waiting) {
    const timers = state.cursor.threads.flatMap((t) => (t.timerDue === undefined ? [] : [t.timerDue]));
    return timers.length > 0 ? { at: Math.min(...timers) } : undefined;
  }
  if (TERMINAL_STATUSES.has(state.status) && state.branchOf) return { at: state.updatedAt, joinOf: state.branchOf.instanceId };
  return undefined;
}

/** The earliest timer a waiting instance has, if any: what is due once its inbox holds nothing it can take. */
export function timerDueOf(state: InstanceState): number | undefined {
  return state.status === InstanceStatus.Waiting ? dueOf(state)?.at : undefined;
}

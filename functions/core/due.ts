import { InstanceStatus, type InstanceState } from './instance.ts';
import { waitsForLock } from './locks.ts';

/**
 * When the sweeper should look at an instance if nothing else happens to it. The MessageBox keeps this beside
 * each instance, in an index sorted by time, so a sweep reads only what is due: its cost follows the work that was
 * lost, not how many instances exist.
 *
 * - running (not a branch instance): when its lease ends, or from its last write when it has none; past that (and
 *   the sweeper's staleness), its work item was lost;
 * - waiting on a timer: when the timer is due (the timer's work item may be lost);
 * - waiting for a synchronized scope's lock (core/locks.ts): from when it began to wait, as a join, then after as long
 *   again as it has waited; its wake-up comes from the lock's release, this finds one that was lost;
 * - waiting at a Parallel Actions join, or suspended there: from when it got there. The join watches its branch
 *   instances: a sweep wakes it, and it looks after them (see ProcessingHost: work items for branches whose own was
 *   lost, the retention of those that ended), then rests for as long again as it has waited (see `nextJoinCheck`).
 *   A branch instance carries nothing of its own: its join covers it (unless it may outlive its join: `rest: 'ignore'`).
 *
 * A waiting instance's unread delivery is due too; the store marks that when it delivers (see
 * `InstanceStore.deliver`), because it does not change the instance's state.
 *
 * Every change of an index key costs two index writes (one out, one in), and a persistence point that changes the
 * due time would pay them: so a due time that only guards against a lost wake-up is moved to the end of the
 * instance's current `DUE_WINDOW_MS` window, counted from its creation. An instance that lives less than a window
 * (an orchestration's whole life, usually) keeps one due time from creation to end, whatever its commits; a lost
 * wake-up is found at most a window later. Timers are kept exact: their entry is their schedule.
 */
export interface Due {
  /** Epoch ms. */
  readonly at: number;
  /**
   * Set on entries written by versions before 0.3, on a finished branch instance: what is due then is the join of
   * the orchestration instance that forked it. Read so such entries still wake their join; no longer written.
   */
  readonly joinOf?: string;
}

export const DUE_WINDOW_MS = 60_000;

/** The shortest and longest rest of a join between two checks by the sweeper (the longest is well within retention). */
export const JOIN_CHECK = { minMs: DUE_WINDOW_MS, maxMs: 36 * 3_600_000 } as const;

/**
 * How long after a fork its branch instances are surely still there: under the MessageBox's retention (7 days) less a
 * margin, they cannot have expired yet. A join that finds one missing later may have lost it to expiry (its watch
 * failed for days): it is suspended, saying so, rather than running the branch again.
 */
export const FORKED_BRANCHES_KEPT_MS = 6 * 86_400_000;

/** The end of the window, counted from the instance's creation, that `at` falls in (always after `at`). */
const windowed = (state: InstanceState, at: number) =>
  state.createdAt + (Math.floor((at - state.createdAt) / DUE_WINDOW_MS) + 1) * DUE_WINDOW_MS;

/** Whether the instance waits at a Parallel Actions join (its branches forked, not yet joined). */
export function atJoin(state: InstanceState): boolean {
  return state.cursor.threads.some((t) => t.fork !== undefined);
}

export function dueOf(state: InstanceState): Due | undefined {
  if ((state.status === InstanceStatus.Waiting || state.status === InstanceStatus.Suspended) && atJoin(state))
    return { at: windowed(state, state.updatedAt) };
  // Woken when the lock is freed; due, from when it began to wait, in case that wake-up is lost (as a join).
  if (waitsForLock(state) !== undefined) return { at: windowed(state, state.updatedAt) };
  if (state.status === InstanceStatus.Running)
    return watchedByJoin(state) ? undefined : { at: windowed(state, state.lease?.expiresAt ?? state.updatedAt) };
  if (state.status === InstanceStatus.Waiting) {
    const timers = state.cursor.threads.flatMap((t) => (t.timerDue === undefined ? [] : [t.timerDue]));
    return timers.length > 0 ? { at: Math.min(...timers) } : undefined;
  }
  return undefined;
}

/** The due time a claim (an exclusive step's lease, a heartbeat) gives an instance it writes: past its new lease. */
export function dueOfClaim(state: InstanceState, leaseExpiresAt: number): number | undefined {
  return watchedByJoin(state) ? undefined : windowed(state, leaseExpiresAt);
}

/** A branch instance its join watches (see `BranchOf.outlives` for one that may outlive it, and is due as any instance). */
const watchedByJoin = (state: InstanceState) => state.branchOf !== undefined && !state.branchOf.outlives;

/** The earliest timer a waiting instance has, if any: what is due once its inbox holds nothing it can take. */
export function timerDueOf(state: InstanceState): number | undefined {
  return state.status === InstanceStatus.Waiting && !atJoin(state) && waitsForLock(state) === undefined
    ? dueOf(state)?.at
    : undefined;
}

/**
 * When a join the sweeper woke, still waiting for branches, should be looked at again: after as long again as it has
 * waited (so a join that waits days is checked a few times, not every minute), within `JOIN_CHECK`.
 */
export function nextJoinCheck(state: InstanceState, now: number): number {
  return now + Math.min(JOIN_CHECK.maxMs, Math.max(JOIN_CHECK.minMs, now - state.updatedAt));
}

import type { ScopeShape } from './definition.ts';
import {
  InstanceStatus,
  TERMINAL_STATUSES,
  type InstanceState,
  type LockHolder,
  type LockKey,
  type Thread,
  type UnlockEntry,
} from './instance.ts';
import { takeoverBefore, type LeaseConfig } from './ownership.ts';

/**
 * Synchronized scopes (BizTalk's synchronized scope, BPEL's isolated scope): the steps of one run under a lock that the
 * branch instances of one orchestration instance share, so two of them never run synchronized scopes of the same lock
 * at the same time, on whichever hosts.
 *
 * The lock is an item of the MessageBox beside the orchestration instance's own (`Locks`), naming its holder (an
 * instance, and the revision it had when it took the lock) and its waiters. A run that reaches a synchronized scope
 * without its lock stops (`needsLock`, not a persistence point); its host takes the lock (one conditional write) and
 * runs again, into the scope. The thread records that it holds the lock (`Thread.holds`) in the commits it makes inside
 * the scope. The commit that leaves the scope (its end, a failure out of it, the instance's own end) frees the lock
 * through its outbox (`UnlockEntry`), after its other effects went out, and that wakes the waiters.
 *
 * A run that finds the lock held registers as a waiter, then judges the holder by its instance (`holderLive`): gone,
 * ended, or moved on without the scope, the lock is taken over (a conditional write on exactly that holder); else the
 * instance dehydrates, waiting for the lock (`Thread.waitsFor`), due a minute on like a join (core/due.ts), so that a
 * wake-up that was lost is found by the sweeper.
 *
 * The lock belongs to the instance, not to the host running it: a host that dies in the scope leaves its instance to
 * another host (after its lease), which goes on in the scope with the lock. A holder suspended in the scope keeps it
 * until it is resumed or terminated; a terminated one frees it.
 */

/** The lock `synchronized: true` takes: one per orchestration instance, shared by every such scope in it. */
export const INSTANCE_LOCK = '$instance';

/** The lock a scope runs under, if it is synchronized. */
export function lockOf(shape: Pick<ScopeShape, 'synchronized'>): string | undefined {
  if (shape.synchronized === true) return INSTANCE_LOCK;
  return typeof shape.synchronized === 'string' ? shape.synchronized : undefined;
}

/**
 * The orchestration instance whose locks an instance takes: a parallel branch's is its orchestration's (a branch of a
 * branch's, the first one's); an orchestration instance's and a child orchestration's, its own.
 */
export function lockDomain(state: Pick<InstanceState, 'instanceId' | 'branchOf'>): string {
  const of = state.branchOf;
  return of && !of.child ? (of.root ?? of.instanceId) : state.instanceId;
}

/** The key of lock `name` as `state` takes it. */
export function lockKey(state: Pick<InstanceState, 'instanceId' | 'branchOf'>, name: string): LockKey {
  return { instanceId: lockDomain(state), name };
}

/** What frees lock `name`, taken at revision `since` by the instance. */
export function unlockEntry(state: InstanceState, name: string, since: number): UnlockEntry {
  return { kind: 'unlock', lock: lockKey(state, name), holder: { instanceId: state.instanceId, revision: since } };
}

const main = (state: InstanceState): Thread | undefined => state.cursor.threads.find((t) => t.id === 'main');

/** The lock the instance waits for, dehydrated at a synchronized scope, if it does. */
export function waitsForLock(state: InstanceState): string | undefined {
  return state.status === InstanceStatus.Waiting ? main(state)?.waitsFor : undefined;
}

/** The locks an instance holds as committed: what terminating it frees. */
export function heldLocks(state: InstanceState): UnlockEntry[] {
  return state.cursor.threads.flatMap((t) => (t.holds ? [unlockEntry(state, t.holds.lock, t.holds.since)] : []));
}

/**
 * Whether the holder a lock names still holds it, judged from its instance as stored: it does while it is not ended
 * and its committed thread is inside a scope of the lock since that revision; or while it is still at the revision it
 * took the lock at (its run goes on towards its first commit in the scope, or runs again from there and takes the lock
 * back); or while the commit that left the scope may not have sent its effects yet; or, moved on by the claim of an exclusive step in the scope before it committed, while that lease lives. Past
 * these, it left the scope, ended, or its run died under a lease that ran out: the lock may be taken over.
 */
export function holderLive(
  name: string,
  holder: LockHolder,
  state: InstanceState | undefined,
  now: number,
  lease: LeaseConfig,
): boolean {
  if (!state || TERMINAL_STATUSES.has(state.status)) return false;
  if (state.cursor.threads.some((t) => t.holds?.lock === name && t.holds.since === holder.revision)) return true;
  // It left the scope in a commit whose effects may not have gone out yet (its host died before dispatching them): what
  // the scope sent goes out before the lock is free, with that commit's unlock (its redelivery or the sweeper sends it).
  const unlocks = state.outbox.some(
    (e) => e.kind === 'unlock' && e.lock.name === name && e.holder.revision === holder.revision,
  );
  if (unlocks && state.dispatchedRevision !== state.revision) return true;
  if (state.revision === holder.revision) return true;
  return state.lease !== undefined && state.lease.expiresAt >= takeoverBefore(now, lease);
}

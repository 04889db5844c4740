import type { InstanceState } from '../instance.ts';
import { holderLive, lockKey } from '../locks.ts';
import type { ProcessingHostDeps } from './deps.ts';

/** Tries before a host gives up on a lock that keeps changing hands under it, and lets the instance wait instead. */
const TRIES = 5;

/**
 * Takes a synchronized scope's lock for an instance at its revision (core/locks.ts): true when it holds it now; false
 * when another holder, alive, has it, and the instance is registered among its waiters (its release wakes it).
 *
 * The waiter registers before it judges the holder: a release that comes between then wakes it, so no wake-up falls
 * between the two. A holder judged gone is taken over by a write conditioned on exactly that holder, so of two waiters
 * that judged it so, one takes it; a lock freed meanwhile is taken afresh. A lock that keeps changing hands under it
 * past a few tries leaves the instance waiting, registered or not: its due time brings it back (core/due.ts).
 */
export async function takeLock(deps: ProcessingHostDeps, state: InstanceState, name: string): Promise<boolean> {
  const { store, clock, lease } = deps;
  const lock = lockKey(state, name);
  const me = { instanceId: state.instanceId, revision: state.revision };
  for (let i = 0; i < TRIES; i++) {
    if (await store.acquireLock(lock, me)) return true;
    const holder = await store.awaitLock(lock, state.instanceId);
    // Freed between the two writes: take it again.
    if (holder === undefined) continue;
    const held = await store.load(holder.instanceId);
    if (holderLive(name, holder, held, clock.now(), lease)) return false;
    if (await store.acquireLock(lock, me, holder)) return true;
  }
  return false;
}

/**
 * Every condition the MessageBox's writes are guarded by, named, so a reader sees what a write requires. The names
 * (`#rev`, …) and values (`:expected`, …) each clause uses are given by the write beside it.
 */

// The ownership condition (see core/ownership.ts). Timeline of a takeover:
//   host A commits rev 4 keeping the lease until t; A pauses; t + skew passes;
//   host B's write matches `leaseExpired` and moves rev to 5; A wakes, its write fails `revisionIs`.
export const revisionIs = '#rev = :expected';
export const leaseFree = 'attribute_not_exists(#leaseOwner)';
export const leaseExpired = '#leaseExp < :takeoverBefore';
export const leaseIsMine = '#leaseOwner = :me';
export const ownershipCondition = `${revisionIs} AND (${leaseFree} OR ${leaseExpired} OR ${leaseIsMine})`;
export const ownershipNames = { '#rev': 'rev', '#leaseOwner': 'leaseOwner', '#leaseExp': 'leaseExp' };

/** A put that does not overwrite: an instance created twice, a message delivered or suspended twice, keeps the first. */
export const itemIsNew = 'attribute_not_exists(pk)';
/** The instance item is still at revision `:rev` (nobody committed since): a count of runs, a dispatched outbox. */
export const atRevision = '#rev = :rev';
/** The instance ended (`:completed`, `:terminated`), and is still there. */
export const finished = 'attribute_exists(pk) AND #status IN (:completed, :terminated)';
/**
 * A waiting instance not due before `:at`: a delivery makes it due then, and an earlier due time (a timer already
 * past) is kept. A running instance is due anyway; a finished one never takes it.
 */
export const waitingNotDueBefore = '#status = :waiting AND (attribute_not_exists(#dueAt) OR #dueAt > :at)';
/** Still where the sweeper found it (at `:rev`, waiting or suspended): what it says is due stands. */
export const restingAt = '#rev = :rev AND #status IN (:waiting, :suspended)';
/** A suspended message not yet resolved: the first operator's resolution wins. */
export const unresolved = 'attribute_exists(pk) AND attribute_not_exists(#resolution)';

// A synchronized scope's lock (core/locks.ts), `I#<instance>` / `LOCK#<name>`: `#holder` (an instance id) took it at
// revision `#since` of that instance; `#waiters` are the instances its release wakes.
/** Nobody holds the lock (never taken, or freed). */
export const lockFree = 'attribute_not_exists(#holder)';
/** Its holder takes it again, from the revision it took it at or a later one (a run again after a crash). */
export const lockTakenBack = '#holder = :me AND #since <= :rev';
/** Held by exactly the holder a waiter read and judged gone (`:stale` at `:staleSince`): of two takers, one wins. */
export const lockHeldAsRead = '#holder = :stale AND #since = :staleSince';
/** Somebody holds the lock: a waiter registers only then (else it takes the lock). */
export const lockHeld = 'attribute_exists(#holder)';
/** Held by `:me` from `:rev`: only that taking of it is freed, so a release dispatched again frees no later one. */
export const lockHeldBy = '#holder = :me AND #since = :rev';
export const lockNames = { '#holder': 'holder', '#since': 'since', '#waiters': 'waiters' };

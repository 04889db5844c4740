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

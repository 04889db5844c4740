// Named clauses of the ownership condition (see core/ownership.ts), so a reader sees what a write requires. Timeline of a takeover:
//   host A commits rev 4 keeping the lease until t; A pauses; t + skew passes;
//   host B's write matches `leaseExpired` and moves rev to 5; A wakes, its write fails `revisionIs`.
export const revisionIs = '#rev = :expected';
export const leaseFree = 'attribute_not_exists(#leaseOwner)';
export const leaseExpired = '#leaseExp < :takeoverBefore';
export const leaseIsMine = '#leaseOwner = :me';
export const ownershipCondition = `${revisionIs} AND (${leaseFree} OR ${leaseExpired} OR ${leaseIsMine})`;
export const ownershipNames = { '#rev': 'rev', '#leaseOwner': 'leaseOwner', '#leaseExp': 'leaseExp' };

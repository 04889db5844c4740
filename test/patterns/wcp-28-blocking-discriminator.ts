/**
 * WCP-28 Blocking Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when the first active incoming branch has been enabled. The Blocking Discriminator construct resets when all
 * active incoming branches have been enabled once for the same process instance. Subsequent enablements of incoming
 * branches are blocked until the Blocking Discriminator has reset.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for every branch (WCP-9); in a loop, the next pass's fork can only start
 * after the join, so there is no first-of construct to block.
 * BPEL: -
 * Pending: `parallel(id, branches, { join: 'first', rest: 'ignore' })` in a loop, if the next pass's fork waits for
 * the ignored branches of the last (to check when it lands).
 */
export {};

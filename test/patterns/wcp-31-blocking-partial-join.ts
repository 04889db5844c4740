/**
 * WCP-31 Blocking Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when n of the incoming branches have been enabled (where 2 ≤ n < m). The join construct resets when all active
 * incoming branches have been enabled once for the same process instance. Subsequent enablements of incoming
 * branches are blocked until the join has reset.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for all m branches (WCP-30), so there is no n-of-m construct to block.
 * BPEL: -
 * Pending: `parallel(id, branches, { join: { atLeast: n }, rest: 'ignore' })` in a loop, if the next pass's fork
 * waits for the ignored branches of the last (to check when it lands).
 */
export {};

/**
 * WCP-30 Structured Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent path such that the thread of
 * control is passed to the subsequent branch when n of the incoming branches have been enabled where n is less than
 * m. Subsequent enablements of incoming branches do not result in the thread of control being passed on. The join
 * construct resets when all active incoming branches have been enabled.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for all m branches; none goes on after n.
 * BPEL: -
 * Pending: `parallel(id, branches, { join: { atLeast: n }, rest: 'ignore' })`.
 */
export {};

/**
 * WCP-32 Cancelling Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when n of the incoming branches have been enabled where n is less than m. Triggering the join also cancels the
 * execution of all of the other incoming branches and resets the construct.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for all m branches and nothing withdraws the others.
 * BPEL: -
 * Pending: `parallel(id, branches, { join: { atLeast: n }, rest: 'cancel' })`.
 */
export {};

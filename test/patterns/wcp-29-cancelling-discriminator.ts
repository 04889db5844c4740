/**
 * WCP-29 Cancelling Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when the first active incoming branch has been enabled. Triggering the discriminator also cancels the execution of
 * all of the other incoming branches and resets the construct.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for every branch and nothing withdraws the slower ones.
 * BPEL: -
 * Pending: `parallel(id, branches, { join: 'first', rest: 'cancel' })`.
 */
export {};

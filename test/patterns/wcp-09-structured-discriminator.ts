/**
 * WCP-9 Structured Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following a corresponding
 * divergence earlier in the process model, such that the thread of control is passed to the subsequent branch when
 * the first incoming branch has been enabled; subsequent enablements of incoming branches do not result in the
 * thread of control being passed on, and the discriminator resets once all incoming branches have been enabled.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for every branch; nothing goes on after the first. Branches cannot message
 * their orchestration either, short of a Start shape back into it through its own activating message type (a
 * callback with extra bookkeeping, which the Initiative's rule does not count).
 * BPEL: -
 * Pending: `parallel(id, branches, { join: 'first', rest: 'ignore' })`: the steps after it run once, after the first
 * branch; the others run to their end, ignored.
 */
export {};

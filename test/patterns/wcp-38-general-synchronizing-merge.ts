/**
 * WCP-38 General Synchronizing Merge
 *
 * Definition: The convergence of two or more branches which diverged earlier in the process into a single subsequent
 * branch such that the thread of control is passed to the subsequent branch when either (1) each active incoming
 * branch has been enabled or (2) it is not possible that any branch that has not yet been enabled will be enabled
 * at any future time.
 * Rating: unsupported
 * Reason: The general form arises in unstructured models with cycles, where deciding that a branch can no longer be
 * enabled takes non-local analysis of the whole instance. Re-checked with the new shapes: guarded branches give the
 * OR-join its local knowledge (WCP-7, 37), and a `parallel` with guards may sit in a `stateMachine` state, but each
 * visit forks and joins within the state, so the merge stays structured and acyclic within itself; no shape lets
 * concurrent branches cycle back before the merge.
 * BPEL: -
 * Pending: none planned (`stateMachine` gives cycles on one thread, not concurrent branches into an OR-join).
 */
export {};

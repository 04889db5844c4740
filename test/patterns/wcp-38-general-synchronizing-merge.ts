/**
 * WCP-38 General Synchronizing Merge
 *
 * Definition: The convergence of two or more branches which diverged earlier in the process into a single subsequent
 * branch such that the thread of control is passed to the subsequent branch when either (1) each active incoming
 * branch has been enabled or (2) it is not possible that any branch that has not yet been enabled will be enabled
 * at any future time.
 * Rating: unsupported
 * Reason: The general form arises in unstructured models with cycles, where deciding that a branch can no longer be
 * enabled takes non-local analysis of the whole instance; Baton's flows are block-structured, so only the structured
 * and acyclic forms (WCP-7, WCP-37) can be written.
 * BPEL: -
 * Pending: none planned (`stateMachine` gives cycles on one thread, not concurrent branches into an OR-join).
 */
export {};

/**
 * WCP-33 Generalised AND-Join
 *
 * Definition: The convergence of two or more branches into a single subsequent branch such that the thread of
 * control is passed to the subsequent branch when all input branches have been enabled. Additional triggers received
 * on one or more branches between firings of the join persist and are retained for future firings.
 * Rating: unsupported
 * Reason: Baton is block-structured: each join belongs to one fork and each branch reaches it once, so there are
 * never surplus triggers to keep for a later firing. The pattern needs unstructured flows in which a branch can be
 * enabled again before the join fired.
 * BPEL: -
 * Pending: none planned (`stateMachine` gives arbitrary cycles on one thread, not several threads into one join).
 */
export {};

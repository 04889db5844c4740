/**
 * WCP-33 Generalised AND-Join
 *
 * Definition: The convergence of two or more branches into a single subsequent branch such that the thread of
 * control is passed to the subsequent branch when all input branches have been enabled. Additional triggers received
 * on one or more branches between firings of the join persist and are retained for future firings.
 * Rating: unsupported
 * Reason: Baton is block-structured: each join belongs to one fork and each branch reaches it once, so there are
 * never surplus triggers to keep for a later firing. Re-checked with the new shapes: `stateMachine` gives cycles
 * with several entries and exits, but on one thread, and a `parallel` inside a state forks and joins anew on each
 * visit; join policies change when a join fires, never what it keeps for the next. The pattern needs unstructured
 * flows in which a branch can be enabled again before the join fired.
 * BPEL: -
 * Pending: none planned (it would take concurrent threads moving between the states of one machine, with tokens
 * counted per incoming arc).
 */
export {};

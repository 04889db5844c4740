/**
 * WCP-17 Interleaved Parallel Routing
 *
 * Definition: A set of tasks has a partial ordering defining the requirements with respect to the order in which
 * they must be executed. Each task in the set must be executed once and they can be completed in any order that
 * accords with the partial order. However, as an additional requirement, no two tasks can be executed at the same
 * time (i.e. no two tasks can be active for the same process instance at the same time).
 * Rating: unsupported
 * Reason: Branches of a `parallel` run at the same time on separate branch instances, with nothing to keep two of
 * them from being active at once; writing the tasks in a sequence fixes one order at design time instead of letting
 * the run choose any order the partial order allows.
 * BPEL: +/-
 * Pending: synchronized scopes: each branch of a `parallel` (holding the ordered tasks in sequence) runs its tasks in
 * scopes synchronized on one another, so no two run at once.
 */
export {};

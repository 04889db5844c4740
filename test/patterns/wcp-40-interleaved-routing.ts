/**
 * WCP-40 Interleaved Routing
 *
 * Definition: Each member of a set of tasks must be executed once. They can be executed in any order but no two
 * tasks can be executed at the same time (i.e. no two tasks can be active for the same process instance at the same
 * time). Once all of the tasks have completed, the next task in the process can be initiated.
 * Rating: unsupported
 * Reason: As for WCP-17 without the partial order: branches of a `parallel` may all run at once, and a sequence
 * fixes the order at design time.
 * BPEL: +/-
 * Pending: synchronized scopes: each task a branch of a `parallel`, in a scope synchronized with the others'.
 */
export {};

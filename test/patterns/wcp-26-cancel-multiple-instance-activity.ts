/**
 * WCP-26 Cancel Multiple Instance Activity
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. At any
 * time, the multiple instance task can be cancelled and any instances which have not completed are withdrawn. Task
 * instances that have already completed are unaffected.
 * Rating: unsupported
 * Reason: The instances are items of a `forEach` (WCP-14): a failing item (inside a scope with `onError`) cancels
 * the other lanes at once, and a `forEach` raced in a `parallel` with `join: 'first', rest: 'cancel'` against a
 * branch that ends is withdrawn when that branch wins, but neither is a cancellation on request: no message reaches
 * the orchestration while it waits at a join, branches cannot receive, and a `forEach` cancelled as a branch drops
 * what its completed items gathered (their sends stay sent). Started orchestrations (WCP-12) are out of their
 * starter's reach.
 * BPEL: -
 * Pending: `forEach` inside a scope with an interrupting event handler: a Cancel message ends the scope, withdrawing
 * the instances still running and keeping what the completed ones did.
 */
export {};

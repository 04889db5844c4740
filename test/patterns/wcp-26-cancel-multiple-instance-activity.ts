/**
 * WCP-26 Cancel Multiple Instance Activity
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. At any
 * time, the multiple instance task can be cancelled and any instances which have not completed are withdrawn. Task
 * instances that have already completed are unaffected.
 * Rating: unsupported
 * Reason: Multiple instances are branches of a `parallel` (WCP-13) or started orchestrations (WCP-12); nothing
 * withdraws the branches still running (a failing branch waits for its siblings) and started orchestrations are out
 * of their starter's reach.
 * BPEL: -
 * Pending: `forEach` inside a scope with an interrupting event handler: a Cancel message ends the scope, withdrawing
 * the instances still running and keeping what the completed ones did.
 */
export {};

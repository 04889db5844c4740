/**
 * WCP-27 Complete Multiple Instance Activity
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. It is
 * necessary to synchronize the instances at completion before any subsequent tasks can be triggered. During the
 * course of execution, it is possible that the task needs to be forcibly completed such that any remaining instances
 * are withdrawn and the thread of control is passed to subsequent tasks.
 * Rating: unsupported
 * Reason: The join of a `parallel` waits for every branch and nothing can force it: no message reaches the
 * orchestration while it waits at the join, and no shape withdraws running branches and goes on.
 * BPEL: -
 * Pending: `forEach` inside a scope with an interrupting event handler whose handler completes the scope (the
 * instances still running withdrawn), the steps after it then going on.
 */
export {};

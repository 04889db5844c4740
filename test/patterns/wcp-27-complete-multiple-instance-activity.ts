/**
 * WCP-27 Complete Multiple Instance Activity
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. It is
 * necessary to synchronize the instances at completion before any subsequent tasks can be triggered. During the
 * course of execution, it is possible that the task needs to be forcibly completed such that any remaining instances
 * are withdrawn and the thread of control is passed to subsequent tasks.
 * Rating: unsupported
 * Reason: Join policies let a join go on before all of its branches ended, but only by a rule fixed at the fork (the
 * first, at least n): nothing forces a running `forEach` to complete on request, since no message reaches the
 * orchestration while it waits at a join and branches cannot receive. Racing the `forEach` in a `parallel` (`join:
 * 'first', rest: 'cancel'`) against a branch that ends on a timer or a condition withdraws the instances still
 * running and goes on, but the trigger cannot be outside and what the completed instances gathered is dropped with
 * the cancelled branch.
 * BPEL: -
 * Pending: `forEach` inside a scope with an interrupting event handler whose handler completes the scope (the
 * instances still running withdrawn), the steps after it then going on.
 */
export {};

/**
 * WCP-35 Cancelling Partial Join for Multiple Instances
 *
 * Definition: Within a given process instance, multiple concurrent instances of a task (say m) can be created. The
 * required number of instances is known when the first task instance commences. Once n of the task instances have
 * completed (where n is less than m), the next task in the process is triggered and the remaining m-n instances are
 * cancelled.
 * Rating: unsupported
 * Reason: Nothing withdraws running instances, whether branches of a `parallel` or started orchestrations.
 * BPEL: -
 * Pending: `forEach(id, (ctx) => items, steps, { join: { atLeast: n }, rest: 'cancel' })`.
 */
export {};

/**
 * WCP-34 Static Partial Join for Multiple Instances
 *
 * Definition: Within a given process instance, multiple concurrent instances of a task (say m) can be created. The
 * required number of instances is known when the first task instance commences. Once n of the task instances have
 * completed (where n is less than m), the next task in the process is triggered. Subsequent completions of the
 * remaining m-n instances are inconsequential, however all instances must have completed in order for the join
 * construct to reset and be subsequently re-enabled.
 * Rating: unsupported
 * Reason: Multiple instances are branches of a `parallel` or started orchestrations; the join waits for all of
 * them, and counting n of m callbacks by hand (WCP-14's workaround) leaves the m-n late reports to be suspended as
 * messages nothing waits for.
 * BPEL: -
 * Pending: `forEach(id, (ctx) => items, steps, { join: { atLeast: n }, rest: 'ignore' })`.
 */
export {};

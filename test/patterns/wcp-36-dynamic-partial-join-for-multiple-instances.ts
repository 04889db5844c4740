/**
 * WCP-36 Dynamic Partial Join for Multiple Instances
 *
 * Definition: Within a given process instance, multiple concurrent instances of a task can be created. The required
 * number of instances may depend on a number of runtime factors, including state data, resource availability and
 * inter-process communications and is not known until the final instance has completed. At any time, whilst
 * instances are running, it is possible for additional instances to be initiated providing the ability to do so had
 * not been disabled. A completion condition is specified which is evaluated each time an instance of the task
 * completes. Once the completion condition evaluates to true, the next task in the process is triggered. Subsequent
 * completions of the remaining task instances are inconsequential and no new instances can be created.
 * Rating: unsupported
 * Reason: `forEach` with items and `join: { atLeast: (ctx) => n }` both read at run time is not this pattern, only
 * WCP-34/35 with m and n from data: it reads its items once, when it is reached, and nothing adds an instance to a
 * running set (WCP-15); and its n is fixed at the fork, where the pattern's completion condition is evaluated anew
 * each time an instance completes (on what the instances did), and once true also disables the creation of
 * instances.
 * BPEL: -
 * Pending: none planned fully: non-interrupting scope event handlers take a message per new instance, but what they
 * start is not joined with the instances already running (WCP-15); it would take a way to add items to a running
 * `forEach` and a completion condition evaluated at each instance's end, say `join: { when: (ctx, results) =>
 * boolean }`.
 */
export {};

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
 * Reason: Nothing adds instances to a running set (WCP-15) and no join goes on before all of its branches ended.
 * BPEL: -
 * Pending: half of it: `forEach` with `join: { atLeast: (ctx) => n }` gives the completion condition; adding
 * instances while it runs is not planned.
 */
export {};

/**
 * WCP-15 Multiple Instances without a Priori Run-Time Knowledge
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances may depend on a number of runtime factors, including state data, resource availability and
 * inter-process communications, and is not known until the final instance has completed. Once initiated, these
 * instances are independent of each other and run concurrently. At any time, whilst instances are running, it is
 * possible for additional instances to be initiated. It is necessary to synchronize the instances at completion
 * before any subsequent tasks can be triggered.
 * Rating: unsupported
 * Reason: Nothing adds an instance to a running set: a `parallel`'s branches are fixed in the definition, and
 * `forEach` reads its items once, when it is reached (a `forEach` per round, in a loop, runs the rounds one after
 * the other, not instances started while others run). A `child` per instance runs one at a time, its parent waiting
 * for it. The callback workaround of WCP-14's first sample (one orchestration started per instance, each reporting
 * back) would need a Listen that takes either a new item or a report in one loop, with the count of running
 * instances kept by hand: an extra orchestration and bookkeeping.
 * BPEL: -
 * Pending: none of the planned shapes fully: a non-interrupting scope event handler that starts an instance per
 * arriving message, its scope waiting for them all, would make it direct; or a `forEach` whose running set can be
 * added to.
 */
export {};

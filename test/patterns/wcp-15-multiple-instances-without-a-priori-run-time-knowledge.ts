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
 * for it. Non-interrupting scope event handlers take a message per new instance while their scope waits, but a
 * handler runs on the scope's one thread and takes no other such message until it has ended: a `parallel` or
 * `forEach` it starts is joined within it, so the instances run one after the other; let run on (`rest: 'ignore'`)
 * they overlap, but then nothing waits for them before the subsequent task. The callback workaround (an
 * orchestration started per instance, each reporting back to a handler, the number still running kept in a variable
 * until a last message ends the scope) is an extra orchestration and bookkeeping.
 * BPEL: -
 * Pending: none planned: a scope that, before it ends, waits for the branch instances its handlers let run on, or a
 * `forEach` whose running set a handler can add to, would make it direct.
 */
export {};

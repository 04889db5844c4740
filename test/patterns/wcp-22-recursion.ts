/**
 * WCP-22 Recursion
 *
 * Definition: The ability of a task to invoke itself during its execution or an ancestor in terms of the overall
 * decomposition structure with which it is associated.
 * Rating: unsupported
 * Reason: A Call Orchestration runs its callee inline and refuses a callee that calls itself, directly or not; a
 * Start shape can start its own orchestration, but does not wait for it or get its result, so the invoking task
 * cannot complete when the invoked one does.
 * BPEL: -
 * Pending: child orchestrations with a result (an instance of their own, the parent waiting for the result),
 * recursion allowed.
 */
export {};

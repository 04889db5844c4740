/**
 * WCP-39 Critical Section
 *
 * Definition: Two or more connected subgraphs of a process model are identified as "critical sections". At runtime
 * for a given process instance, only tasks in one of these "critical sections" can be active at any given time. Once
 * execution of the tasks in one "critical section" commences, it must complete before another "critical section" can
 * commence.
 * Rating: unsupported
 * Reason: The branches of a `parallel` run on separate branch instances, each with its own lease; nothing keeps two
 * of them from being in their sections at once (an `exclusive` step holds only its own instance's lease).
 * BPEL: +
 * Pending: synchronized scopes: the critical sections as scopes synchronized with one another.
 */
export {};

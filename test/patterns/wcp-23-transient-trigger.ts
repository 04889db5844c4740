/**
 * WCP-23 Transient Trigger
 *
 * Definition: The ability for a task instance to be triggered by a signal from another part of the process or from
 * the external environment. These triggers are transient in nature and are lost if not acted on immediately by the
 * receiving task.
 * Rating: unsupported
 * Reason: Every correlated message is kept: one that arrives before its instance reaches the receive waits in the
 * instance's inbox (WCP-24). Nothing drops a message the instance is not waiting for at that moment.
 * BPEL: -
 * Pending: transient receives, which take only a message that arrives while the instance waits at them.
 */
export {};

/**
 * WCP-23 Transient Trigger
 *
 * Definition: The ability for a task instance to be triggered by a signal from another part of the process or from
 * the external environment. These triggers are transient in nature and are lost if not acted on immediately by the
 * receiving task.
 * Rating: supported
 * Reason: A transient receive, `receiveCorrelated(id, type, { into, correlation, transient: true })`: only a message
 * that arrives while the instance waits at it triggers it; one that came before does not, and is not kept for it.
 * Two precisions: the hosts' clock skew bound (1 s) is given to the message (one received less than 1 s before the
 * instance reached the receive still counts), and a message passed over is not deleted but set aside: it ends up a
 * suspended message, saying why, for an operator, without ever triggering the task.
 * BPEL: -
 */
import { delay, orchestration, receive, receiveCorrelated, send } from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** A dam's overflow handling starts when a capacity-full signal comes while it is on watch; the watch begins after its inspection. */
export const transientTrigger = orchestration(
  'Wcp23TransientTrigger',
  1,
  [
    receive('receiveShift', 'WatchShift', { into: 'shift', correlation: 'dam' }),
    delay('inspection', { minutes: 30 }),
    receiveCorrelated('receiveFull', 'CapacityFull', { into: 'full', correlation: 'dam', transient: true }),
    send('handleOverflow', 'send', 'OverflowHandled', (ctx) => ctx.message('full').body),
  ],
  { correlationSets: { dam: { WatchShift: keyOf, CapacityFull: keyOf } } },
);

/**
 * WCP-1 Sequence
 *
 * Definition: A task in a process is enabled after the completion of a preceding task in the same process instance.
 * Rating: supported
 * Reason: An orchestration's steps run in the order they are listed: a shape starts when the one before it ended,
 * even when that one waited (here a durable delay).
 * BPEL: +
 */
import { delay, orchestration, receive, send } from '../../functions/builders.ts';

/** Pick, then (after the goods settled) pack, then ship. */
export const sequence = orchestration('Wcp01Sequence', 1, [
  receive('receiveDispatch', 'Dispatch', { into: 'dispatch' }),
  send('pick', 'send', 'Picked', (ctx) => ctx.message('dispatch').body),
  delay('settle', { minutes: 5 }),
  send('pack', 'send', 'Packed', (ctx) => ctx.message('dispatch').body),
  send('ship', 'send', 'Shipped', (ctx) => ctx.message('dispatch').body),
]);

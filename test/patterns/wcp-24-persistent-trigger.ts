/**
 * WCP-24 Persistent Trigger
 *
 * Definition: The ability for a task to be triggered by a signal from another part of the process or from the
 * external environment. These triggers are persistent in form and are retained by the process until they can be
 * acted on by the receiving task.
 * Rating: supported
 * Reason: A correlated receive (`receiveCorrelated`): the receive host routes the message to its instance's inbox,
 * where it is kept until the instance reaches the receive, however long that takes.
 * BPEL: +
 */
import { delay, orchestration, receive, receiveCorrelated, send } from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** The delivery is confirmed with the customer's signature, which may reach the system before the truck does. */
export const persistentTrigger = orchestration(
  'Wcp24PersistentTrigger',
  1,
  [
    receive('receiveDelivery', 'Delivery', { into: 'delivery', correlation: 'delivery' }),
    delay('truckDrives', { hours: 3 }),
    receiveCorrelated('receiveSignature', 'Signature', { into: 'signature', correlation: 'delivery' }),
    send('confirm', 'send', 'DeliveryConfirmed', (ctx) => ctx.message('signature').body),
  ],
  { correlationSets: { delivery: { Delivery: keyOf, Signature: keyOf } } },
);

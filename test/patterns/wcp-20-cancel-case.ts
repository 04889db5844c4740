/**
 * WCP-20 Cancel Case
 *
 * Definition: A complete process instance is removed. This includes currently executing tasks, those which may
 * execute at some future time and all sub-processes. The process instance is recorded as having completed
 * unsuccessfully.
 * Rating: supported
 * Reason: The Terminate shape ends the instance from within its model (here on a Cancel message, taken by a Listen),
 * and an operator's terminate (the console, `baton terminate`) ends it at any moment: either way the instance, every
 * branch instance still running (at the join it waits at, or let run on by an earlier join with `rest: 'ignore'`,
 * test/core/outliving-branches.test.ts), and its child, are recorded as terminated and do nothing more.
 * BPEL: +
 */
import {
  branch,
  delay,
  listen,
  onMessage,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  send,
  terminate,
} from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** A purchase: confirmed or cancelled by the buyer; once confirmed, paid and shipped, in parallel. */
export const cancelCase = orchestration(
  'Wcp20CancelCase',
  1,
  [
    receive('receivePurchase', 'Purchase', { into: 'purchase', correlation: 'purchase' }),
    listen('buyerDecides', [
      onMessage(
        'confirmed',
        receiveCorrelated('receiveConfirm', 'ConfirmPurchase', { into: 'confirm', correlation: 'purchase' }),
        [],
      ),
      onMessage(
        'cancelled',
        receiveCorrelated('receiveCancel', 'CancelPurchase', { into: 'cancel', correlation: 'purchase' }),
        [terminate('cancelPurchase', (ctx) => `purchase ${keyOf(ctx.message('purchase'))} cancelled by the buyer`)],
      ),
    ]),
    parallel('fulfil', [
      branch('payment', [delay('clearing', { hours: 1 }), send('charge', 'send', 'Charged', () => ({}))]),
      branch('shipping', [delay('packing', { hours: 2 }), send('ship', 'send', 'Shipped', () => ({}))]),
    ]),
    send('done', 'send', 'PurchaseCompleted', () => ({})),
  ],
  { correlationSets: { purchase: { Purchase: keyOf, ConfirmPurchase: keyOf, CancelPurchase: keyOf } } },
);

/**
 * WCP-5 Simple Merge
 *
 * Definition: The convergence of two or more branches into a single subsequent branch such that each enablement of
 * an incoming branch results in the thread of control being passed to the subsequent branch.
 * Rating: supported
 * Reason: The branches of a Decide (and of a Listen) merge at the shape after it: whichever branch ran, the steps
 * after the decide run once, with no synchronization.
 * BPEL: +
 */
import { code, decide, orchestration, receive, send, when } from '../../functions/builders.ts';

/** Cash or credit, then the product receipt, either way. */
export const simpleMerge = orchestration('Wcp05SimpleMerge', 1, [
  receive('receivePayment', 'Payment', { into: 'payment' }),
  decide(
    'howPaid',
    [
      when('cash', (ctx) => (ctx.message('payment').body as { method: string }).method === 'cash', [
        code('casePayment', (ctx) => {
          ctx.vars.paid = 'cash';
        }),
      ]),
    ],
    [
      code('provideCredit', (ctx) => {
        ctx.vars.paid = 'credit';
      }),
    ],
  ),
  send('receipt', 'send', 'ProductReceipt', (ctx) => ({ paid: ctx.vars.paid })),
]);

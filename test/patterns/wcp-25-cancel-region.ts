/**
 * WCP-25 Cancel Region
 *
 * Definition: The ability to disable a set of tasks in a process instance. If any of the tasks are already
 * executing (or are currently enabled), then they are withdrawn. The tasks need not be a connected subset of the
 * overall process model.
 * Rating: partial
 * Reason: A Scope is a region: a Throw (or a failed step) inside it withdraws the region's remaining tasks and runs
 * its `onError` instead; since join policies, a branch of a `parallel` in the region that fails this way also
 * cancels its sibling branches at once, wherever they wait. But the cancellation only comes from inside the region,
 * from its own steps: nothing cancels a region on an outside message while it waits at a receive, a delay or a join
 * (other than a Listen written into the region at one point).
 * BPEL: +/-
 * Pending: interrupting scope event handlers (a message cancels the scope wherever it is).
 */
import { decide, orchestration, receive, scope, send, throwError, when } from '../../functions/builders.ts';

/** A loan's assessment region: credit check, valuation, offer; an amount over the limit cancels what is left of it. */
export const cancelRegion = orchestration('Wcp25CancelRegion', 1, [
  receive('receiveApplication', 'LoanApplication', { into: 'application' }),
  scope(
    'assessment',
    [
      send('creditCheck', 'send', 'CreditChecked', () => ({})),
      decide('withinLimit', [
        when('over', (ctx) => (ctx.message('application').body as { amount: number }).amount > 1_000_000, [
          throwError('overLimit', () => 'over the branch limit'),
        ]),
      ]),
      send('valuation', 'send', 'ValuationOrdered', () => ({})),
      send('offer', 'send', 'OfferPrepared', () => ({})),
    ],
    { onError: [send('cancelled', 'send', 'AssessmentCancelled', (ctx) => ({ why: ctx.vars.lastError }))] },
  ),
  send('close', 'send', 'ApplicationClosed', () => ({})),
]);

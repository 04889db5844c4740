/**
 * WCP-35 Cancelling Partial Join for Multiple Instances
 *
 * Definition: Within a given process instance, multiple concurrent instances of a task (say m) can be created. The
 * required number of instances is known when the first task instance commences. Once n of the task instances have
 * completed (where n is less than m), the next task in the process is triggered and the remaining m-n instances are
 * cancelled.
 * Rating: supported
 * Reason: `forEach(id, (ctx) => items, steps, { join: { atLeast: n }, rest: 'cancel' })`: m instances (the items,
 * counted when the shape is reached), concurrent up to `maxConcurrency`; once n completed the steps after it run,
 * once, and the lanes still running are terminated at once, so the remaining m-n instances do nothing more (an item
 * not yet started in its lane never starts).
 * BPEL: -
 */
import { delay, forEach, orchestration, receive, send } from '../../functions/builders.ts';

/** Every bid is assessed at once; once three assessments are in, the rest are withdrawn and the tender is awarded. */
export const cancellingPartialJoinForMultipleInstances = orchestration('Wcp35CancellingPartialJoin', 1, [
  receive('receiveTender', 'Tender', { into: 'tender' }),
  forEach(
    'assess',
    (ctx) => (ctx.message('tender').body as { bids: string[] }).bids,
    [
      // Bid k takes k + 1 hours to assess.
      delay('assesses', (ctx) => (ctx.index! + 1) * 3_600_000),
      send('assessed', 'send', 'BidAssessed', (ctx) => ({ bid: ctx.item })),
    ],
    { maxConcurrency: 100, join: { atLeast: 3 }, rest: 'cancel', into: 'assessed', result: (ctx) => ctx.item },
  ),
  send('award', 'send', 'TenderAwarded', (ctx) => ({ assessed: (ctx.vars.assessed as unknown[]).filter(Boolean) })),
]);

/**
 * WCP-13 Multiple Instances with a Priori Design-Time Knowledge
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. It is
 * necessary to synchronize the task instances at completion before any subsequent tasks can be triggered.
 * Rating: supported
 * Reason: `forEach` over a list fixed in the definition: one instance of its steps per item, each on its own copy of
 * the variables with `ctx.item` and `ctx.index`, all at once (`maxConcurrency` at least the number of items: a lane,
 * a branch instance, each), and the steps after it run once, when all ended (`join: 'all'`, the default), with the
 * instances' results gathered in item order (`into`).
 * BPEL: -
 */
import { code, delay, forEach, orchestration, receive, send } from '../../functions/builders.ts';

/** Three reviewers, always: known when the orchestration is written. */
export const REVIEWERS = ['ana', 'ben', 'chi'] as const;

/** A paper reviewed by each of the three reviewers at once; the decision once all three reviews are in. */
export const multipleInstancesDesignTime = orchestration('Wcp13MultipleInstancesDesignTime', 1, [
  receive('receivePaper', 'Paper', { into: 'paper' }),
  forEach(
    'reviews',
    () => REVIEWERS,
    [
      send('askReviewer', 'send', 'ReviewRequested', (ctx) => ({ reviewer: ctx.item })),
      // Ana takes a day, Ben two, Chi three.
      delay('reads', (ctx) => (ctx.index! + 1) * 86_400_000),
      code('score', (ctx) => {
        ctx.vars.score = (ctx.item as string).length + ctx.index!;
      }),
      send('reviewIn', 'send', 'ReviewIn', (ctx) => ({ reviewer: ctx.item })),
    ],
    { maxConcurrency: REVIEWERS.length, into: 'scores', result: (ctx) => ctx.vars.score },
  ),
  send('decide', 'send', 'PaperDecided', (ctx) => ({ scores: ctx.vars.scores })),
]);

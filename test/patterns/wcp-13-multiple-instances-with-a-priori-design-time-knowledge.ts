/**
 * WCP-13 Multiple Instances with a Priori Design-Time Knowledge
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. It is
 * necessary to synchronize the task instances at completion before any subsequent tasks can be triggered.
 * Rating: partial
 * Reason: Baton has no multiple-instance task: the instances are written as that many branches of a `parallel`,
 * made by a loop in the definition's code, each calling the same callable, with a variable per instance to keep
 * their results apart at the join. Concurrent and synchronized, as the pattern asks, but a copy per instance.
 * BPEL: -
 * Pending: `forEach(id, (ctx) => items, steps, { join: 'all' })` over a fixed list, `ctx.item` and `ctx.index`
 * telling the instances apart, `into` collecting their results.
 */
import { branch, call, callable, code, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** Three reviewers, always: known when the orchestration is written. */
export const REVIEWERS = ['ana', 'ben', 'chi'] as const;

const review = callable('Review', [
  send('askReviewer', 'send', 'ReviewRequested', (ctx) => ({ reviewer: ctx.vars.reviewer })),
  code('score', (ctx) => {
    ctx.vars[`score_${ctx.vars.reviewer}`] = (ctx.vars.reviewer as string).length;
  }),
]);

/** A paper reviewed by each of the three reviewers at once; the decision once all three reviews are in. */
export const multipleInstancesDesignTime = orchestration('Wcp13MultipleInstancesDesignTime', 1, [
  receive('receivePaper', 'Paper', { into: 'paper' }),
  parallel(
    'reviews',
    REVIEWERS.map((reviewer) =>
      branch(reviewer, [
        code(`assign-${reviewer}`, (ctx) => {
          ctx.vars.reviewer = reviewer;
        }),
        call(`review-${reviewer}`, review),
      ]),
    ),
  ),
  send('decide', 'send', 'PaperDecided', (ctx) => ({
    scores: REVIEWERS.map((reviewer) => ctx.vars[`score_${reviewer}`]),
  })),
]);

/**
 * WCP-8 Multi-Merge
 *
 * Definition: The convergence of two or more branches into a single subsequent branch such that each enablement of
 * an incoming branch results in the thread of control being passed to the subsequent branch.
 * Rating: supported
 * Reason: `parallel(id, branches, { merge })`: the merge is the single subsequent branch, written once, that every
 * incoming branch goes on to when it is done: each branch that reaches it passes control to it, in its own branch
 * instance (its own thread), without waiting for the others, so it runs once per enablement, concurrently if two
 * arrive together. Block structure shows only after it: each thread ends at the Parallel Actions' join once through
 * the merge, and the steps after the join run once (a merge that must carry on to the end of the process holds
 * those steps itself).
 * BPEL: -
 */
import { branch, code, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** Foundations laid and materials ordered in parallel; each, once done, goes through the quality review. */
export const multiMerge = orchestration('Wcp08MultiMerge', 1, [
  receive('receiveBuild', 'Build', { into: 'build' }),
  parallel(
    'build',
    [
      branch('foundations', [
        delay('pourConcrete', { hours: 6 }),
        code('laidFoundations', (ctx) => {
          ctx.vars.task = 'foundations';
        }),
      ]),
      branch('materials', [
        code('orderedMaterials', (ctx) => {
          ctx.vars.task = 'materials';
        }),
      ]),
    ],
    // The quality review: once for each branch that reaches it.
    { merge: [send('review', 'send', 'QualityReviewed', (ctx) => ({ task: ctx.vars.task }))] },
  ),
]);

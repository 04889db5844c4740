/**
 * WCP-8 Multi-Merge
 *
 * Definition: The convergence of two or more branches into a single subsequent branch such that each enablement of
 * an incoming branch results in the thread of control being passed to the subsequent branch.
 * Rating: partial
 * Reason: Baton is block-structured: two threads never run through one path, and a `parallel` only ends at its join,
 * so there is no merge node to pass each thread through. The shared downstream is a callable that each branch calls
 * at its end (`call`; a `child` would do the same in an instance of its own): it runs once per branch, in that
 * branch, without waiting for the others, as the pattern says. Re-checked with the new shapes, and still not counted
 * as direct: the single subsequent branch of the pattern becomes a call site in every incoming branch (the model's
 * merge is gone, and a branch added must remember to call it), and what follows it is synchronized by the join
 * unless it too goes into the callable. Join policies do not help: whatever the policy, the steps after a join run
 * once, not once per branch.
 * BPEL: -
 * Pending: none planned: a block-structured language has no merge that lets several threads through one path.
 */
import {
  branch,
  call,
  callable,
  code,
  delay,
  orchestration,
  parallel,
  receive,
  send,
} from '../../functions/builders.ts';

/** After each of them, quality review: run once for each branch that reaches it. */
const qualityReview = callable('QualityReview', [
  send('review', 'send', 'QualityReviewed', (ctx) => ({ task: ctx.vars.task })),
]);

/** Foundations laid and materials ordered in parallel; each, once done, goes through the quality review. */
export const multiMerge = orchestration('Wcp08MultiMerge', 1, [
  receive('receiveBuild', 'Build', { into: 'build' }),
  parallel('build', [
    branch('foundations', [
      delay('pourConcrete', { hours: 6 }),
      code('laidFoundations', (ctx) => {
        ctx.vars.task = 'foundations';
      }),
      call('reviewFoundations', qualityReview),
    ]),
    branch('materials', [
      code('orderedMaterials', (ctx) => {
        ctx.vars.task = 'materials';
      }),
      call('reviewMaterials', qualityReview),
    ]),
  ]),
]);

/**
 * WCP-10 Arbitrary Cycles
 *
 * Definition: The ability to represent cycles in a process model that have more than one entry or exit point.
 * Rating: partial
 * Reason: Loops are structured (`loop`: one entry, one exit). A cycle with several entries and exits is written as
 * a loop over a Decide on a state variable the steps set by hand: a state machine built from bookkeeping.
 * BPEL: -
 * Pending: `stateMachine(id, { initial, states })`, whose states name the state they go to next.
 */
import { code, decide, loop, orchestration, receive, send, when } from '../../functions/builders.ts';

/**
 * A document: drafted, reviewed; a review sends it back to be revised (entering the cycle at revise) or to legal
 * (leaving the review loop at another point than its start), and legal can send it back to review.
 */
export const arbitraryCycles = orchestration('Wcp10ArbitraryCycles', 1, [
  receive('receiveDocument', 'Document', { into: 'document' }),
  code('start', (ctx) => {
    ctx.vars.state = 'draft';
    ctx.vars.visited = [];
    ctx.vars.reviews = 0;
  }),
  loop('cycle', (ctx) => ctx.vars.state !== 'published', [
    code('visit', (ctx) => {
      ctx.vars.visited = [...(ctx.vars.visited as string[]), ctx.vars.state as string];
    }),
    decide('inState', [
      when('draft', (ctx) => ctx.vars.state === 'draft', [
        code('drafted', (ctx) => {
          ctx.vars.state = 'review';
        }),
      ]),
      when('review', (ctx) => ctx.vars.state === 'review', [
        code('reviewed', (ctx) => {
          const reviews = (ctx.vars.reviews as number) + 1;
          ctx.vars.reviews = reviews;
          ctx.vars.state = reviews === 1 ? 'revise' : 'legal';
        }),
      ]),
      when('revise', (ctx) => ctx.vars.state === 'revise', [
        code('revised', (ctx) => {
          ctx.vars.state = 'review';
        }),
      ]),
      when('legal', (ctx) => ctx.vars.state === 'legal', [
        code('legalChecked', (ctx) => {
          ctx.vars.state = (ctx.vars.reviews as number) < 3 ? 'review' : 'published';
        }),
      ]),
    ]),
  ]),
  send('publish', 'send', 'Published', (ctx) => ({ visited: ctx.vars.visited })),
]);

/**
 * WCP-10 Arbitrary Cycles
 *
 * Definition: The ability to represent cycles in a process model that have more than one entry or exit point.
 * Rating: supported
 * Reason: `stateMachine(id, { initial, states })`: each state's `next` names the state to go to once its steps ran,
 * any state, earlier or later, or `'$end'` to leave; so a cycle is entered wherever a transition points into it
 * and left from any state that chooses `'$end'` or a state outside it. Where the machine is shows in the instance's
 * cursor, persisted as any other; no state variable is kept by hand.
 * BPEL: -
 */
import { code, orchestration, receive, send, stateMachine } from '../../functions/builders.ts';

const visit = (state: string) =>
  code(`visit-${state}`, (ctx) => {
    ctx.vars.visited = [...((ctx.vars.visited as string[] | undefined) ?? []), state];
  });
const reviews = (ctx: { vars: Record<string, unknown> }) =>
  (ctx.vars.visited as string[]).filter((s) => s === 'review').length;

/**
 * A document: drafted, then reviewed. Two cycles share the review: review → revise → review, and review → legal →
 * review. The first is entered at revise, the second at legal; the document leaves from legal (published) or, if
 * the draft was already approved, straight from the review.
 */
export const arbitraryCycles = orchestration('Wcp10ArbitraryCycles', 1, [
  receive('receiveDocument', 'Document', { into: 'document' }),
  stateMachine('lifecycle', {
    initial: 'draft',
    states: {
      draft: { steps: [visit('draft')], next: () => 'review' },
      review: {
        steps: [visit('review')],
        next: (ctx) => {
          if ((ctx.message('document').body as { approved?: boolean }).approved) return '$end';
          return reviews(ctx) === 1 ? 'revise' : 'legal';
        },
      },
      revise: { steps: [visit('revise')], next: () => 'review' },
      legal: { steps: [visit('legal')], next: (ctx) => (reviews(ctx) < 3 ? 'review' : '$end') },
    },
  }),
  send('publish', 'send', 'Published', (ctx) => ({ visited: ctx.vars.visited })),
]);

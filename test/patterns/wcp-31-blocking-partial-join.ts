/**
 * WCP-31 Blocking Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when n of the incoming branches have been enabled (where 2 ≤ n < m). The join construct resets when all active
 * incoming branches have been enabled once for the same process instance. Subsequent enablements of incoming
 * branches are blocked until the join has reset.
 * Rating: supported
 * Reason: `parallel(id, branches, { join: { atLeast: n }, rest: 'block' })`: control passes on once n of the m
 * branches ended, the other m-n run on passing nothing on, and the shape entered again (a loop's next pass: the next
 * activation) waits at its last fork until all m ended before it forks again: the join resets, and the next
 * activation is blocked until then.
 * BPEL: -
 */
import { branch, code, delay, loop, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** A reviewer who takes `minutes`, then says so. */
const reviewer = (name: string, minutes: number) =>
  branch(name, [
    delay(`${name}Reads`, { minutes }),
    send(`${name}Reviewed`, 'send', 'Reviewed', (ctx) => ({ reviewer: name, draft: ctx.vars.draft })),
  ]);

/** Two drafts, each reviewed by three; a draft is accepted once two reviewed it, and the next goes out only once the last draft's third review came in. */
export const blockingPartialJoin = orchestration('Wcp31BlockingPartialJoin', 1, [
  receive('receivePaper', 'Paper', { into: 'paper' }),
  loop('drafts', (ctx) => ((ctx.vars.draft as number | undefined) ?? 0) < 2, [
    code('nextDraft', (ctx) => {
      ctx.vars.draft = ((ctx.vars.draft as number | undefined) ?? 0) + 1;
    }),
    parallel('review', [reviewer('ana', 1), reviewer('bo', 2), reviewer('cy', 30)], {
      join: { atLeast: 2 },
      rest: 'block',
    }),
    send('accept', 'send', 'DraftAccepted', (ctx) => ({ draft: ctx.vars.draft })),
  ]),
]);

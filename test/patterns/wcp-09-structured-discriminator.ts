/**
 * WCP-9 Structured Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following a corresponding
 * divergence earlier in the process model, such that the thread of control is passed to the subsequent branch when
 * the first incoming branch has been enabled; subsequent enablements of incoming branches do not result in the
 * thread of control being passed on, and the discriminator resets once all incoming branches have been enabled.
 * Rating: supported
 * Reason: `parallel(id, branches, { join: 'first', rest: 'ignore' })`: the steps after it run once, when the first
 * branch ended (one conditional write, so once even when two branches end at the same moment on two hosts); the
 * other branches run to their end and pass nothing on. The reset: each entry into the `parallel` forks branch
 * instances of its own, joined by a join of its own, so a discriminator entered again (a loop's next pass) starts
 * reset. The pattern's context (no branch enabled again before the reset) is the model's to keep: a next pass that
 * comes before the last pass's branches all ended forks alongside them with `rest: 'ignore'`, or waits for them
 * with `rest: 'block'` (WCP-28).
 * BPEL: -
 */
import { branch, code, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** A check that takes `minutes`, then says what it found. */
const check = (name: string, minutes: number) =>
  branch(name, [
    delay(`${name}Takes`, { minutes }),
    code(`${name}Done`, (ctx) => {
      ctx.vars.firstCheck = name;
    }),
    send(`${name}Reported`, 'send', 'CheckReported', () => ({ check: name })),
  ]);

/** Cardiac arrest: breathing and pulse are checked at once; triage starts when the first check is done, once. */
export const structuredDiscriminator = orchestration('Wcp09StructuredDiscriminator', 1, [
  receive('receiveArrest', 'CardiacArrest', { into: 'arrest' }),
  parallel('checks', [check('breathing', 1), check('pulse', 3)], { join: 'first', rest: 'ignore' }),
  send('triage', 'send', 'TriageStarted', (ctx) => ({ after: ctx.vars.firstCheck })),
]);

/**
 * WCP-28 Blocking Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when the first active incoming branch has been enabled. The Blocking Discriminator construct resets when all
 * active incoming branches have been enabled once for the same process instance. Subsequent enablements of incoming
 * branches are blocked until the Blocking Discriminator has reset.
 * Rating: supported
 * Reason: `parallel(id, branches, { join: 'first', rest: 'block' })`: control passes on once, after the first
 * branch; the others run on, their completions passing nothing on; and the shape entered again (here a loop's next
 * pass, each pass one activation) waits at its last fork until all of that fork's branches ended before it forks
 * again: the discriminator resets, and the next activation's branches are blocked until then.
 * BPEL: -
 */
import { branch, code, delay, loop, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** A check that takes `minutes`, then says what it found in which round. */
const check = (name: string, minutes: number) =>
  branch(name, [
    delay(`${name}Takes`, { minutes }),
    send(`${name}Reported`, 'send', 'CheckReported', (ctx) => ({ check: name, round: ctx.vars.round })),
  ]);

/** Two rounds of a patient's checks: each round's triage starts after its first check; a round starts only once the last round's checks all reported. */
export const blockingDiscriminator = orchestration('Wcp28BlockingDiscriminator', 1, [
  receive('receivePatient', 'Patient', { into: 'patient' }),
  loop('rounds', (ctx) => ((ctx.vars.round as number | undefined) ?? 0) < 2, [
    code('nextRound', (ctx) => {
      ctx.vars.round = ((ctx.vars.round as number | undefined) ?? 0) + 1;
    }),
    parallel('checks', [check('breathing', 1), check('pulse', 10)], { join: 'first', rest: 'block' }),
    send('triage', 'send', 'TriageStarted', (ctx) => ({ round: ctx.vars.round })),
  ]),
]);

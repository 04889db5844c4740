/**
 * WCP-6 Multi-Choice
 *
 * Definition: The divergence of a branch into two or more branches such that when the incoming branch is enabled,
 * the thread of control is immediately passed to one or more of the outgoing branches based on a mechanism that
 * selects one or more outgoing branches.
 * Rating: partial
 * Reason: No split selects branches today: every branch of a `parallel` starts, so each branch opens with a Decide
 * on its own condition and one not selected ends at once, having done nothing. The behaviour is the pattern's, but
 * the choice is spread over the branches and a branch instance is made for each branch not taken.
 * BPEL: +
 * Pending: guarded branches, `branch(name, steps, { when: (ctx) => boolean })`.
 */
import { branch, decide, orchestration, parallel, receive, send, when } from '../../functions/builders.ts';

interface Emergency {
  readonly fire?: boolean;
  readonly injured?: boolean;
}
const emergency = (ctx: { message(name: string): { body: unknown } }) => ctx.message('call').body as Emergency;

/** Depending on the emergency, the fire brigade, an ambulance, or both, are despatched at once. */
export const multiChoice = orchestration('Wcp06MultiChoice', 1, [
  receive('receiveCall', 'EmergencyCall', { into: 'call' }),
  parallel('despatch', [
    branch('fireBrigade', [
      decide('isFire', [
        when('fire', (ctx) => emergency(ctx).fire === true, [
          send('despatchFireBrigade', 'send', 'FireBrigadeDespatched', () => ({})),
        ]),
      ]),
    ]),
    branch('ambulance', [
      decide('isInjured', [
        when('injured', (ctx) => emergency(ctx).injured === true, [
          send('despatchAmbulance', 'send', 'AmbulanceDespatched', () => ({})),
        ]),
      ]),
    ]),
  ]),
]);

/**
 * WCP-6 Multi-Choice
 *
 * Definition: The divergence of a branch into two or more branches such that when the incoming branch is enabled,
 * the thread of control is immediately passed to one or more of the outgoing branches based on a mechanism that
 * selects one or more outgoing branches.
 * Rating: supported
 * Reason: Guarded branches: `parallel` forks only the branches whose guard (`branch(name, steps, { when })`) holds,
 * read at the fork on the instance's data, so the split itself selects one or more of them; a branch not selected
 * gets no branch instance and does nothing.
 * BPEL: +
 */
import { branch, orchestration, parallel, receive, send } from '../../functions/builders.ts';

interface Emergency {
  readonly fire?: boolean;
  readonly injured?: boolean;
}
const emergency = (ctx: { message(name: string): { body: unknown } }) => ctx.message('call').body as Emergency;

/** Depending on the emergency, the fire brigade, an ambulance, or both, are despatched at once. */
export const multiChoice = orchestration('Wcp06MultiChoice', 1, [
  receive('receiveCall', 'EmergencyCall', { into: 'call' }),
  parallel('despatch', [
    branch('fireBrigade', [send('despatchFireBrigade', 'send', 'FireBrigadeDespatched', () => ({}))], {
      when: (ctx) => emergency(ctx).fire === true,
    }),
    branch('ambulance', [send('despatchAmbulance', 'send', 'AmbulanceDespatched', () => ({}))], {
      when: (ctx) => emergency(ctx).injured === true,
    }),
  ]),
]);

/**
 * WCP-4 Exclusive Choice
 *
 * Definition: The divergence of a branch into two or more branches such that when the incoming branch is enabled,
 * the thread of control is immediately passed to precisely one of the outgoing branches based on a mechanism that
 * can select one of the outgoing branches.
 * Rating: supported
 * Reason: Decide (`decide`, `when`): the first branch whose condition holds on the instance's data runs, else the
 * `otherwise` steps; exactly one.
 * BPEL: +
 */
import { decide, orchestration, receive, send, when } from '../../functions/builders.ts';

const volumeOf = (body: unknown) => (body as { volume: number }).volume;

/** Small digs go to the bobcat, large ones to the D9. */
export const exclusiveChoice = orchestration('Wcp04ExclusiveChoice', 1, [
  receive('receiveExcavation', 'Excavation', { into: 'excavation' }),
  decide(
    'whichMachine',
    [
      when('small', (ctx) => volumeOf(ctx.message('excavation').body) < 100, [
        send('bobcat', 'send', 'BobcatExcavation', (ctx) => ctx.message('excavation').body),
      ]),
    ],
    [send('d9', 'send', 'D9Excavation', (ctx) => ctx.message('excavation').body)],
  ),
]);

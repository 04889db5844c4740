/**
 * WCP-7 Structured Synchronizing Merge
 *
 * Definition: The convergence of two or more branches (which diverged earlier in the process at a uniquely
 * identifiable point) into a single subsequent branch such that the thread of control is passed to the subsequent
 * branch when each active incoming branch has been enabled.
 * Rating: supported
 * Reason: Guarded branches (WCP-6) and the join of the same `parallel`: the split forks the branches whose guard
 * holds, and the join waits for exactly those, no branch instance having been made for the others. The merge is the
 * split's own join, so it is structured by construction.
 * BPEL: +
 */
import { branch, code, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

interface Incident {
  readonly police?: boolean;
  readonly ambulance?: boolean;
}
const incident = (ctx: { message(name: string): { body: unknown } }) => ctx.message('incident').body as Incident;

/** Police, an ambulance or both go out; the patient is transferred once every vehicle sent has arrived. */
export const structuredSynchronizingMerge = orchestration('Wcp07StructuredSynchronizingMerge', 1, [
  receive('receiveIncident', 'Incident', { into: 'incident' }),
  parallel('despatch', [
    branch(
      'police',
      [
        delay('policeDrive', { minutes: 12 }),
        code('policeArrived', (ctx) => {
          ctx.vars.police = 'arrived';
        }),
      ],
      { when: (ctx) => incident(ctx).police === true },
    ),
    branch(
      'ambulance',
      [
        delay('ambulanceDrive', { minutes: 8 }),
        code('ambulanceArrived', (ctx) => {
          ctx.vars.ambulance = 'arrived';
        }),
      ],
      { when: (ctx) => incident(ctx).ambulance === true },
    ),
  ]),
  send('transferPatient', 'send', 'PatientTransferred', (ctx) => ({
    police: ctx.vars.police ?? null,
    ambulance: ctx.vars.ambulance ?? null,
  })),
]);

/**
 * WCP-7 Structured Synchronizing Merge
 *
 * Definition: The convergence of two or more branches (which diverged earlier in the process at a uniquely
 * identifiable point) into a single subsequent branch such that the thread of control is passed to the subsequent
 * branch when each active incoming branch has been enabled.
 * Rating: partial
 * Reason: The join of a `parallel` whose branches open with a Decide (the Multi-Choice workaround, WCP-6) waits for
 * the selected branches, the others having ended at once: the merge synchronizes exactly the active branches, but
 * only because every branch, taken or not, runs to the join.
 * BPEL: +
 * Pending: guarded branches, `branch(name, steps, { when })`, whose join waits for the branches taken.
 */
import { branch, code, decide, delay, orchestration, parallel, receive, send, when } from '../../functions/builders.ts';

interface Incident {
  readonly police?: boolean;
  readonly ambulance?: boolean;
}
const incident = (ctx: { message(name: string): { body: unknown } }) => ctx.message('incident').body as Incident;

/** Police, an ambulance or both go out; the patient is transferred once every vehicle sent has arrived. */
export const structuredSynchronizingMerge = orchestration('Wcp07StructuredSynchronizingMerge', 1, [
  receive('receiveIncident', 'Incident', { into: 'incident' }),
  parallel('despatch', [
    branch('police', [
      decide('needsPolice', [
        when('yes', (ctx) => incident(ctx).police === true, [
          delay('policeDrive', { minutes: 12 }),
          code('policeArrived', (ctx) => {
            ctx.vars.police = 'arrived';
          }),
        ]),
      ]),
    ]),
    branch('ambulance', [
      decide('needsAmbulance', [
        when('yes', (ctx) => incident(ctx).ambulance === true, [
          delay('ambulanceDrive', { minutes: 8 }),
          code('ambulanceArrived', (ctx) => {
            ctx.vars.ambulance = 'arrived';
          }),
        ]),
      ]),
    ]),
  ]),
  send('transferPatient', 'send', 'PatientTransferred', (ctx) => ({
    police: ctx.vars.police ?? null,
    ambulance: ctx.vars.ambulance ?? null,
  })),
]);

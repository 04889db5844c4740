/**
 * WCP-29 Cancelling Discriminator
 *
 * Definition: The convergence of two or more branches into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when the first active incoming branch has been enabled. Triggering the discriminator also cancels the execution of
 * all of the other incoming branches and resets the construct.
 * Rating: supported
 * Reason: `parallel(id, branches, { join: 'first', rest: 'cancel' })`: the steps after it run once, when the first
 * branch ended, and the join terminates the branch instances still running, at once (one mid-step under its lease
 * included: its host finds the lease taken and commits nothing), so nothing they would still do happens. With every
 * branch ended, the construct is reset: entered again, it forks anew.
 * BPEL: -
 */
import { branch, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** A laboratory that examines the sample in `hours`, then reports. */
const laboratory = (name: string, hours: number) =>
  branch(name, [
    delay(`${name}Examines`, { hours }),
    send(`${name}Reports`, 'send', 'ExaminationReported', () => ({ laboratory: name })),
  ]);

/** Parts of a drilling sample go to three laboratories; the first examination done starts the review, the others are withdrawn. */
export const cancellingDiscriminator = orchestration('Wcp29CancellingDiscriminator', 1, [
  receive('receiveSample', 'DrillingSample', { into: 'sample' }),
  parallel('examinations', [laboratory('north', 5), laboratory('east', 2), laboratory('south', 8)], {
    join: 'first',
    rest: 'cancel',
  }),
  send('review', 'send', 'DrillingReviewed', () => ({})),
]);

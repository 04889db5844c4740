/**
 * WCP-40 Interleaved Routing
 *
 * Definition: Each member of a set of tasks must be executed once. They can be executed in any order but no two
 * tasks can be executed at the same time (i.e. no two tasks can be active for the same process instance at the same
 * time). Once all of the tasks have completed, the next task in the process can be initiated.
 * Rating: supported
 * Reason: Each task is a branch of a `parallel`, in a scope `synchronized` with the others' (one lock for the
 * instance): the branches start together and whichever takes the lock first runs its task, the others wait for it,
 * so each task runs once, in an order the run chooses, never two at once; the join starts the next task when all
 * have completed.
 * BPEL: +/-
 */
import { branch, orchestration, parallel, receive, scope, send } from '../../functions/builders.ts';
import { task } from './journal.ts';

const TASKS = ['inspectHull', 'checkEngine', 'testRadio'];

/** A boat's survey: three checks, any order, one surveyor (never two at once); the certificate once all are done. */
export const interleavedRouting = (synchronized = true) =>
  orchestration(synchronized ? 'Wcp40InterleavedRouting' : 'Wcp40Unsynchronized', 1, [
    receive('receiveSurvey', 'Survey', { into: 'survey' }),
    parallel(
      'checks',
      TASKS.map((name) => branch(name, [scope(`${name}Alone`, [task(name)], { synchronized })])),
    ),
    send('certify', 'send', 'Certified', () => ({})),
  ]);

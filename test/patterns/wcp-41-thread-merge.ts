/**
 * WCP-41 Thread Merge
 *
 * Definition: At a given point in a process, a nominated number of execution threads in a single branch of the same
 * process instance should be merged together into a single thread of execution.
 * Rating: partial
 * Reason: Threads on one path are written as that many branches of a `parallel`, made by a loop in the definition's
 * code and calling the same callable; their join merges them into one thread. The number is a design-time
 * constant, as the pattern requires, but each thread is a copy of the branch rather than a token on one path.
 * BPEL: +/-
 * Pending: `forEach` over a fixed number of items, its join merging the threads.
 */
import { branch, call, callable, code, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** Ten registrations, then the batch is finalised once. */
export const BATCH = 10;

const register = callable('RegisterOne', [
  code('register', (ctx) => {
    ctx.vars[`registered_${ctx.vars.slot}`] = true;
  }),
]);

export const threadMerge = orchestration('Wcp41ThreadMerge', 1, [
  receive('receiveBatch', 'RegistrationBatch', { into: 'batch' }),
  parallel(
    'registrations',
    Array.from({ length: BATCH }, (_, slot) =>
      branch(`slot${slot}`, [
        code(`slot-${slot}`, (ctx) => {
          ctx.vars.slot = slot;
        }),
        call(`register-${slot}`, register),
      ]),
    ),
  ),
  send('finalise', 'send', 'BatchFinalised', (ctx) => ({
    registered: Array.from({ length: BATCH }, (_, slot) => ctx.vars[`registered_${slot}`] === true).filter(Boolean)
      .length,
  })),
]);

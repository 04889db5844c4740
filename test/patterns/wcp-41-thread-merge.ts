/**
 * WCP-41 Thread Merge
 *
 * Definition: At a given point in a process, a nominated number of execution threads in a single branch of the same
 * process instance should be merged together into a single thread of execution.
 * Rating: supported
 * Reason: `forEach` over a number of items fixed in the definition: its steps are the one path the threads run
 * (each thread a pass of them, told apart by `ctx.index`), and its join merges the nominated number of threads into
 * the single thread that runs the steps after it, once. Baton being block-structured, the threads merged are those
 * the same shape split (WCP-42); threads from anywhere else never share a path.
 * BPEL: +/-
 */
import { code, forEach, orchestration, receive, send } from '../../functions/builders.ts';

/** Ten registrations, then the batch is finalised once. */
export const BATCH = 10;

export const threadMerge = orchestration('Wcp41ThreadMerge', 1, [
  receive('receiveBatch', 'RegistrationBatch', { into: 'batch' }),
  forEach(
    'registrations',
    () => Array.from({ length: BATCH }, (_, slot) => slot),
    [
      code('register', (ctx) => {
        ctx.vars.registered = `slot ${ctx.index}`;
      }),
    ],
    { maxConcurrency: BATCH, into: 'registered', result: (ctx) => ctx.vars.registered },
  ),
  send('finalise', 'send', 'BatchFinalised', (ctx) => ({ registered: ctx.vars.registered })),
]);

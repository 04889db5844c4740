/**
 * WCP-42 Thread Split
 *
 * Definition: At a given point in a process, a nominated number of execution threads can be initiated in a single
 * branch of the same process instance.
 * Rating: supported
 * Reason: `forEach` over a number of items fixed in the definition: at that point it starts that many threads, all
 * on the one path its steps are (each a pass of them on its own copy of the variables, `ctx.index` telling them
 * apart). Written as the last shape, as here, the threads run to the end of the process independently and the
 * instance ends when the last of them does (implicit termination); before other steps, they meet again at its join
 * (WCP-41).
 * BPEL: +/-
 */
import { forEach, orchestration, receive, send } from '../../functions/builders.ts';

/** Three peer reviews, always. */
export const THREADS = 3;

/** Once the paper's receipt is confirmed, three threads of the independent peer review task start. */
export const threadSplit = orchestration('Wcp42ThreadSplit', 1, [
  receive('receivePaper', 'PaperReceived', { into: 'paper' }),
  send('confirmReceipt', 'send', 'ReceiptConfirmed', () => ({})),
  forEach(
    'reviews',
    () => Array.from({ length: THREADS }, (_, thread) => thread),
    [send('requestReview', 'send', 'PeerReviewRequested', (ctx) => ({ thread: ctx.index }))],
    { maxConcurrency: THREADS },
  ),
]);

/**
 * WCP-42 Thread Split
 *
 * Definition: At a given point in a process, a nominated number of execution threads can be initiated in a single
 * branch of the same process instance.
 * Rating: partial
 * Reason: The threads are that many branches of a `parallel`, made by a loop in the definition's code over the same
 * steps: each runs the path on its own branch instance. A copy per thread rather than tokens on one path, and the
 * threads always meet again at the join, where the pattern lets them run to the end independently.
 * BPEL: +/-
 * Pending: `forEach` over a fixed number of items: its steps are the one path the threads run.
 */
import { branch, call, callable, code, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** Three peer reviews, always. */
export const THREADS = 3;

const peerReview = callable('PeerReview', [
  send('requestReview', 'send', 'PeerReviewRequested', (ctx) => ({ thread: ctx.vars.thread })),
]);

/** Once the paper's receipt is confirmed, three threads of the independent peer review task start. */
export const threadSplit = orchestration('Wcp42ThreadSplit', 1, [
  receive('receivePaper', 'PaperReceived', { into: 'paper' }),
  send('confirmReceipt', 'send', 'ReceiptConfirmed', () => ({})),
  parallel(
    'reviews',
    Array.from({ length: THREADS }, (_, thread) =>
      branch(`thread${thread}`, [
        code(`thread-${thread}`, (ctx) => {
          ctx.vars.thread = thread;
        }),
        call(`review-${thread}`, peerReview),
      ]),
    ),
  ),
]);

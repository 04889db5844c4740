/**
 * WCP-3 Synchronization
 *
 * Definition: The convergence of two or more branches into a single subsequent branch such that the thread of control
 * is passed to the subsequent branch when all input branches have been enabled.
 * Rating: supported
 * Reason: The join of Parallel Actions: the steps after `parallel` run once, when every branch ended, in one
 * conditional write on the orchestration (so once even when the last two branches wake it on two hosts at once).
 * BPEL: +
 */
import { branch, code, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** Cash-drawer reconciliation only once the store is closed and the card summary printed. */
export const synchronization = orchestration('Wcp03Synchronization', 1, [
  receive('receiveClosing', 'StoreClosing', { into: 'closing' }),
  parallel('closeDown', [
    branch('closeStore', [
      delay('lastCustomerLeaves', { minutes: 15 }),
      code('storeClosed', (ctx) => {
        ctx.vars.storeClosed = true;
      }),
    ]),
    branch('cardSummary', [
      code('printSummary', (ctx) => {
        ctx.vars.summaryPrinted = true;
      }),
    ]),
  ]),
  send('reconcile', 'send', 'DrawerReconciled', (ctx) => ({
    storeClosed: ctx.vars.storeClosed,
    summaryPrinted: ctx.vars.summaryPrinted,
  })),
]);

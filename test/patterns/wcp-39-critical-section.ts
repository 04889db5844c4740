/**
 * WCP-39 Critical Section
 *
 * Definition: Two or more connected subgraphs of a process model are identified as "critical sections". At runtime
 * for a given process instance, only tasks in one of these "critical sections" can be active at any given time. Once
 * execution of the tasks in one "critical section" commences, it must complete before another "critical section" can
 * commence.
 * Rating: supported
 * Reason: Each critical section is a scope `synchronized` on one named lock (`'ledger'`), shared only by the scopes
 * that name it: once a branch's section started, another branch's waits until it completed, whatever its tasks
 * (steps, sends, exclusive calls); tasks outside the sections run as they come.
 * BPEL: +
 */
import { branch, orchestration, parallel, receive, scope, send } from '../../functions/builders.ts';
import { task } from './journal.ts';

/** Month end: two branches each post to the ledger in a section of two tasks; their reports run outside it. */
export const criticalSection = (synchronized = true) =>
  orchestration(synchronized ? 'Wcp39CriticalSection' : 'Wcp39Unsynchronized', 1, [
    receive('receiveMonthEnd', 'MonthEnd', { into: 'monthEnd' }),
    parallel('close', [
      branch('sales', [
        task('salesReport'),
        scope('postSales', [task('salesDebit'), task('salesCredit')], { synchronized: synchronized && 'ledger' }),
      ]),
      branch('payroll', [
        task('payrollReport'),
        scope('postPayroll', [task('payrollDebit'), task('payrollCredit')], {
          synchronized: synchronized && 'ledger',
        }),
      ]),
    ]),
    send('closed', 'send', 'MonthClosed', () => ({})),
  ]);

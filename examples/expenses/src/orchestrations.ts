import { designer, type Environment } from 'baton';
import { ExpenseClaim, ManagerReview, Reimbursement } from './messages.ts';

/** Claims at or above this amount need a manager; the hosts' environment can set it (EXPENSES_REVIEW_FROM). */
const DEFAULT_REVIEW_FROM = 500;

const { orchestration, receive, decide, when, send, complete } = designer({ claim: ExpenseClaim });

export function expenses(reviewFrom: number) {
  return orchestration('Expenses', 1, [
    receive('receiveClaim', ExpenseClaim, { into: 'claim' }),
    decide(
      'large',
      [
        when('needsReview', (ctx) => ctx.message('claim').body.amount >= reviewFrom, [
          send('askManager', 'send', ManagerReview, (ctx) => ({
            claimId: ctx.message('claim').body.claimId,
            employee: ctx.message('claim').body.employee,
            reason: `${ctx.message('claim').body.amount} ${ctx.message('claim').body.currency} is at or above ${reviewFrom}`,
          })),
        ]),
      ],
      [
        send('reimburse', 'send', Reimbursement, (ctx) => {
          const { claimId, employee, amount, currency } = ctx.message('claim').body;
          return { claimId, employee, amount, currency };
        }),
      ],
    ),
    complete('done'),
  ]);
}

/** What Baton deploys: the construct bundles this module into its hosts, and `baton start` runs it locally. */
export const orchestrations = (env: Environment) => [expenses(Number(env.EXPENSES_REVIEW_FROM ?? DEFAULT_REVIEW_FROM))];

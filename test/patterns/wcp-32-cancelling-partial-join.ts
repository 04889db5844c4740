/**
 * WCP-32 Cancelling Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent branch following one or more
 * corresponding divergences earlier in the process model. The thread of control is passed to the subsequent branch
 * when n of the incoming branches have been enabled where n is less than m. Triggering the join also cancels the
 * execution of all of the other incoming branches and resets the construct.
 * Rating: supported
 * Reason: `parallel(id, branches, { join: { atLeast: n }, rest: 'cancel' })`: the steps after it run once, when the
 * n-th branch ended, and the join terminates the m-n branch instances still running, at once; what they would still
 * do never happens. With every branch ended, the construct is reset: entered again, it forks anew.
 * BPEL: -
 */
import { branch, code, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** An art dealer who prepares a condition report in `days`. */
const dealer = (name: string, days: number) =>
  branch(name, [
    delay(`${name}Examines`, { hours: 24 * days }),
    code(`${name}Done`, (ctx) => {
      ctx.vars[name] = 'reported';
    }),
    send(`${name}Reports`, 'send', 'ConditionReported', () => ({ dealer: name })),
  ]);

/** A picture goes to three dealers; once two condition reports are in, the third is withdrawn and restoration planned. */
export const cancellingPartialJoin = orchestration('Wcp32CancellingPartialJoin', 1, [
  receive('receivePicture', 'Picture', { into: 'picture' }),
  parallel('conditionReports', [dealer('ames', 3), dealer('baker', 1), dealer('cole', 2)], {
    join: { atLeast: 2 },
    rest: 'cancel',
  }),
  send('planRestoration', 'send', 'RestorationPlanned', (ctx) => ({
    reports: ['ames', 'baker', 'cole'].filter((d) => ctx.vars[d] === 'reported'),
  })),
]);

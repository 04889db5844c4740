/**
 * WCP-30 Structured Partial Join
 *
 * Definition: The convergence of two or more branches (say m) into a single subsequent path such that the thread of
 * control is passed to the subsequent branch when n of the incoming branches have been enabled where n is less than
 * m. Subsequent enablements of incoming branches do not result in the thread of control being passed on. The join
 * construct resets when all active incoming branches have been enabled.
 * Rating: supported
 * Reason: `parallel(id, branches, { join: { atLeast: n }, rest: 'ignore' })`: the steps after it run once, when the
 * n-th branch ended (n fixed, or read from the variables at the fork); the other m-n run to their end and pass
 * nothing on. The reset is as for WCP-9: each entry into the `parallel` has a join of its own, so entered again it
 * starts reset; a next pass that comes before the last pass's branches all ended forks alongside them rather than
 * waiting (`rest: 'block'` makes it wait: WCP-31).
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

/** A picture goes to three dealers; restoration is planned once two condition reports are in. */
export const structuredPartialJoin = orchestration('Wcp30StructuredPartialJoin', 1, [
  receive('receivePicture', 'Picture', { into: 'picture' }),
  parallel('conditionReports', [dealer('ames', 3), dealer('baker', 1), dealer('cole', 2)], {
    join: { atLeast: 2 },
    rest: 'ignore',
  }),
  send('planRestoration', 'send', 'RestorationPlanned', (ctx) => ({
    reports: ['ames', 'baker', 'cole'].filter((d) => ctx.vars[d] === 'reported'),
  })),
]);

/**
 * WCP-14 Multiple Instances with a Priori Run-Time Knowledge
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances may depend on a number of runtime factors, but is known before the task instances must be created. Once
 * initiated, these instances are independent of each other and run concurrently. It is necessary to synchronize the
 * instances at completion before any subsequent tasks can be triggered.
 * Rating: supported
 * Reason: `forEach(id, (ctx) => items, steps, { maxConcurrency, into, result })`: the items are read from the instance's
 * data when the shape is reached, one instance of the steps runs per item on its own copy of the variables
 * (`ctx.item`, `ctx.index`), and the steps after it run once, when all ended, with the results gathered in item
 * order. Up to `maxConcurrency` items (at most 100) run at once, each in a lane (a branch instance) of its own;
 * a longer list runs in that many lanes, each item of a lane starting when the one before it in the lane ended (a
 * bound on resources, not on what the pattern asks: 100 instances at once and more in turn).
 * BPEL: -
 */
import { delay, forEach, orchestration, receive, send } from '../../functions/builders.ts';

interface PickList {
  readonly lines: readonly string[];
}

/** As many pick tasks as the list has lines, all at once; the list is closed once every line was picked. */
export const multipleInstancesRunTime = orchestration('Wcp14MultipleInstancesRunTime', 1, [
  receive('receiveList', 'PickList', { into: 'list' }),
  forEach(
    'pick',
    (ctx) => (ctx.message('list').body as PickList).lines,
    [
      send('pickStarted', 'send', 'PickStarted', (ctx) => ({ sku: ctx.item })),
      // The last line is on the nearest shelf (1 minute's walk), the first on the farthest.
      delay('walkToShelf', (ctx) => 60_000 * ((ctx.message('list').body as PickList).lines.length - ctx.index!)),
      send('picked', 'send', 'LinePicked', (ctx) => ({ sku: ctx.item })),
    ],
    { maxConcurrency: 100, into: 'picked', result: (ctx) => ctx.item },
  ),
  send('close', 'send', 'PickListClosed', (ctx) => ({ picked: ctx.vars.picked })),
]);

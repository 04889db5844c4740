/**
 * WCP-14 Multiple Instances with a Priori Run-Time Knowledge
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances may depend on a number of runtime factors, but is known before the task instances must be created. Once
 * initiated, these instances are independent of each other and run concurrently. It is necessary to synchronize the
 * instances at completion before any subsequent tasks can be triggered.
 * Rating: partial
 * Reason: Only as scatter-gather by hand: a loop starts one orchestration per item (`start`, WCP-12), each reports
 * back by starting its parent again with a message of the parent's activating type (delivered to the running
 * instance by its correlation set), and the parent counts the reports in a loop of correlated receives. It works,
 * but it takes a second orchestration, a callback and hand-kept bookkeeping.
 * BPEL: -
 * Pending: `forEach(id, (ctx) => items, steps, { join: 'all', maxConcurrency, into })`.
 */
import { code, delay, loop, orchestration, receive, receiveCorrelated, send, start } from '../../functions/builders.ts';

interface PickList {
  readonly key: string;
  readonly lines?: readonly string[];
  readonly picked?: string;
}
const list = (ctx: { message(name: string): { body: unknown } }) => ctx.message('list').body as PickList;
const keyOf = (m: { body: unknown }) => (m.body as PickList).key;

/** The task: picking one line; it reports back to its pick list by starting it again, with its key. */
export const pickLine = orchestration('Wcp14PickLine', 1, [
  receive('receiveLine', 'PickLine', { into: 'line' }),
  delay('walkToShelf', (ctx) => 60_000 * (ctx.message('line').body as { shelf: number }).shelf),
  start('reportBack', 'Wcp14MultipleInstancesRunTime', (ctx) => {
    const line = ctx.message('line').body as { key: string; sku: string };
    return { key: line.key, picked: line.sku };
  }),
]);

/** As many pick tasks as the list has lines, all at once; the list is closed once every line was picked. */
export const multipleInstancesRunTime = orchestration(
  'Wcp14MultipleInstancesRunTime',
  1,
  [
    receive('receiveList', 'PickList', { into: 'list', correlation: 'list' }),
    code('none', (ctx) => {
      ctx.vars.started = 0;
      ctx.vars.picked = [];
    }),
    loop('scatter', (ctx) => (ctx.vars.started as number) < list(ctx).lines!.length, [
      start('pickOne', 'Wcp14PickLine', (ctx) => ({
        key: list(ctx).key,
        sku: list(ctx).lines![ctx.vars.started as number],
        shelf: list(ctx).lines!.length - (ctx.vars.started as number),
      })),
      code('startedOne', (ctx) => {
        ctx.vars.started = (ctx.vars.started as number) + 1;
      }),
    ]),
    loop('gather', (ctx) => (ctx.vars.picked as string[]).length < (ctx.vars.started as number), [
      receiveCorrelated('receiveReport', 'PickList', { into: 'report', correlation: 'list' }),
      code('count', (ctx) => {
        ctx.vars.picked = [...(ctx.vars.picked as string[]), (ctx.message('report').body as PickList).picked!];
      }),
    ]),
    send('close', 'send', 'PickListClosed', (ctx) => ({ picked: ctx.vars.picked })),
  ],
  { correlationSets: { list: { PickList: keyOf } } },
);

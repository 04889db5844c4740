/**
 * WCP-34 Static Partial Join for Multiple Instances
 *
 * Definition: Within a given process instance, multiple concurrent instances of a task (say m) can be created. The
 * required number of instances is known when the first task instance commences. Once n of the task instances have
 * completed (where n is less than m), the next task in the process is triggered. Subsequent completions of the
 * remaining m-n instances are inconsequential, however all instances must have completed in order for the join
 * construct to reset and be subsequently re-enabled.
 * Rating: partial
 * Reason: `forEach(id, (ctx) => items, steps, { join: { atLeast: n }, rest: 'ignore' })` does all but the reset: m
 * concurrent instances, the next task once n of them completed, the other m-n running on, their completions passing
 * nothing on. What it does not do is hold the construct until all m completed: entered again (a loop's next pass)
 * before the m-n have ended, it starts m new instances at once, beside them, where the pattern has it wait until
 * they all have. Direct where the shape is not entered again before its instances all ended.
 * BPEL: -
 * Pending: none planned; the engine feature of WCP-28 and 31 would make it direct (a rest policy that lets the other
 * instances run on but holds the shape's next activation until they ended, say `rest: 'block'`).
 */
import { code, delay, forEach, orchestration, receive, send } from '../../functions/builders.ts';

export const SAMPLES = 10;
export const ENOUGH = 7;

/** Ten samples from the production line are examined for defects; the next task goes on once seven examinations are done. */
export const staticPartialJoin = orchestration('Wcp34StaticPartialJoin', 1, [
  receive('receiveBatch', 'ProductionBatch', { into: 'batch' }),
  forEach(
    'examine',
    () => Array.from({ length: SAMPLES }, (_, sample) => sample),
    [
      // Sample k takes k + 1 minutes.
      delay('examines', (ctx) => (ctx.index! + 1) * 60_000),
      code('examined', (ctx) => {
        ctx.vars.defects = ctx.index! % 4 === 0 ? 1 : 0;
      }),
      send('report', 'send', 'SampleExamined', (ctx) => ({ sample: ctx.index })),
    ],
    {
      maxConcurrency: SAMPLES,
      join: { atLeast: ENOUGH },
      rest: 'ignore',
      into: 'defects',
      result: (ctx) => ctx.vars.defects,
    },
  ),
  send('release', 'send', 'BatchReleased', (ctx) => ({ defects: ctx.vars.defects })),
]);

/**
 * WCP-34 Static Partial Join for Multiple Instances
 *
 * Definition: Within a given process instance, multiple concurrent instances of a task (say m) can be created. The
 * required number of instances is known when the first task instance commences. Once n of the task instances have
 * completed (where n is less than m), the next task in the process is triggered. Subsequent completions of the
 * remaining m-n instances are inconsequential, however all instances must have completed in order for the join
 * construct to reset and be subsequently re-enabled.
 * Rating: supported
 * Reason: `forEach(id, (ctx) => items, steps, { join: { atLeast: n }, rest: 'block' })`: m concurrent instances (the
 * items, known when the first commences), the next task once n of them completed, the other m-n running on with
 * their completions passing nothing on; and the shape entered again (a loop's next pass: re-enabled) waits until all
 * m of the last activation completed before it starts m new ones: the join resets only then.
 * BPEL: -
 */
import { code, delay, forEach, loop, orchestration, receive, send } from '../../functions/builders.ts';

export const SAMPLES = 10;
export const ENOUGH = 7;

/** Two batches from the production line, ten samples each examined for defects; a batch is released once seven examinations are done, and the next batch's examinations start only once all ten of the last batch's are. */
export const staticPartialJoin = orchestration('Wcp34StaticPartialJoin', 1, [
  receive('receiveLine', 'ProductionLine', { into: 'line' }),
  loop('batches', (ctx) => ((ctx.vars.batch as number | undefined) ?? 0) < 2, [
    code('nextBatch', (ctx) => {
      ctx.vars.batch = ((ctx.vars.batch as number | undefined) ?? 0) + 1;
    }),
    forEach(
      'examine',
      () => Array.from({ length: SAMPLES }, (_, sample) => sample),
      [
        // Sample k takes k + 1 minutes.
        delay('examines', (ctx) => (ctx.index! + 1) * 60_000),
        code('examined', (ctx) => {
          ctx.vars.defects = ctx.index! % 4 === 0 ? 1 : 0;
        }),
        send('report', 'send', 'SampleExamined', (ctx) => ({ batch: ctx.vars.batch, sample: ctx.index })),
      ],
      {
        maxConcurrency: SAMPLES,
        join: { atLeast: ENOUGH },
        rest: 'block',
        into: 'defects',
        result: (ctx) => ctx.vars.defects,
      },
    ),
    send('release', 'send', 'BatchReleased', (ctx) => ({ batch: ctx.vars.batch, defects: ctx.vars.defects })),
  ]),
]);

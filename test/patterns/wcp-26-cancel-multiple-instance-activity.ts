/**
 * WCP-26 Cancel Multiple Instance Activity
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. At any
 * time, the multiple instance task can be cancelled and any instances which have not completed are withdrawn. Task
 * instances that have already completed are unaffected.
 * Rating: supported
 * Reason: The instances are the items of a `forEach` over a list fixed in the definition (WCP-13), in a scope with
 * an interrupting event handler (`scope(id, [forEach(...), ...], { events: [onEvent(name, receiveCorrelated(...),
 * steps)] })`). The Cancel message is taken while the instance waits at the `forEach`'s join, so at any time while
 * the instances run: the lanes still running are terminated in the handler's commit (an item not yet started in its
 * lane never starts), and the instances that completed stay completed, what they did and sent standing. The handler
 * runs instead of the rest of the scope, so the task after the `forEach` is not enabled by the cancellation. A
 * cancelled `forEach` passes nothing on: what `into` would have gathered from the completed instances is dropped.
 * The `forEach` is on the instance's own thread (a scope with event handlers cannot sit inside a parallel branch).
 * BPEL: -
 */
import {
  delay,
  forEach,
  onEvent,
  orchestration,
  receive,
  receiveCorrelated,
  scope,
  send,
} from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** Five samples, always: known when the orchestration is written. */
export const SAMPLES = ['s1', 's2', 's3', 's4', 's5'] as const;

/** A batch's protein tests, one per sample, all at once; the lab may cancel the batch while they run. */
export const cancelMultipleInstanceActivity = orchestration(
  'Wcp26CancelMultipleInstanceActivity',
  1,
  [
    receive('receiveBatch', 'Batch', { into: 'batch', correlation: 'batch' }),
    scope(
      'testing',
      [
        forEach(
          'proteinTests',
          () => SAMPLES,
          [
            // Sample k takes k hours.
            delay('runs', (ctx) => (ctx.index! + 1) * 3_600_000),
            send('tested', 'send', 'SampleTested', (ctx) => ({ sample: ctx.item })),
          ],
          { maxConcurrency: SAMPLES.length },
        ),
        send('report', 'send', 'BatchReported', (ctx) => ({ key: keyOf(ctx.message('batch')) })),
      ],
      {
        events: [
          onEvent(
            'cancelled',
            receiveCorrelated('receiveCancel', 'CancelBatch', { into: 'cancel', correlation: 'batch' }),
            [send('cancelTests', 'send', 'BatchCancelled', (ctx) => ({ key: keyOf(ctx.message('batch')) }))],
          ),
        ],
      },
    ),
  ],
  { correlationSets: { batch: { Batch: keyOf, CancelBatch: keyOf } } },
);

/**
 * WCP-27 Complete Multiple Instance Activity
 *
 * Definition: Within a given process instance, multiple instances of a task can be created. The required number of
 * instances is known at design time. These instances are independent of each other and run concurrently. It is
 * necessary to synchronize the instances at completion before any subsequent tasks can be triggered. During the
 * course of execution, it is possible that the task needs to be forcibly completed such that any remaining instances
 * are withdrawn and the thread of control is passed to subsequent tasks.
 * Rating: supported
 * Reason: The instances are the items of a `forEach` over a list fixed in the definition (WCP-13), synchronized at
 * its join; the `forEach` is alone in a scope whose interrupting event handler completes it on a message
 * (`scope(id, [forEach(...)], { events: [onEvent(name, receiveCorrelated(...), [])] })`): taken while the instance
 * waits at the join, it terminates the lanes still running in the handler's commit (an item not yet started in its
 * lane never starts), and the thread of control goes at once to the tasks after the scope, the same ones a normal
 * completion reaches; the instances that completed are unaffected. One exception: a forced completion gathers no
 * results, so the tasks after it read nothing in the `forEach`'s `into` (what the completed instances sent stays
 * sent). The `forEach` is on the instance's own thread (a scope with event handlers cannot sit inside a parallel
 * branch), and the trigger is a message (an event handler has no timer trigger; a `parallel` race with a delay, `join:
 * 'first', rest: 'cancel'`, completes it on time).
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

/** A batch's protein tests, all at once; the lab may call them done early, and the analysis then starts at once. */
export const completeMultipleInstanceActivity = orchestration(
  'Wcp27CompleteMultipleInstanceActivity',
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
          { maxConcurrency: SAMPLES.length, into: 'results', result: (ctx) => ctx.item },
        ),
      ],
      {
        events: [
          onEvent(
            'enough',
            receiveCorrelated('receiveComplete', 'CompleteTesting', { into: 'complete', correlation: 'batch' }),
            [],
          ),
        ],
      },
    ),
    send('analyse', 'send', 'AnalysisStarted', (ctx) => ({ results: ctx.vars.results ?? null })),
  ],
  { correlationSets: { batch: { Batch: keyOf, CompleteTesting: keyOf } } },
);

/**
 * WCP-11 Implicit Termination
 *
 * Definition: A given process (or sub-process) instance should terminate when there are no remaining work items
 * that are able to be done either now or at any time in the future and the process instance is not in deadlock.
 * Rating: supported
 * Reason: An instance that reaches the end of its steps completes, with no end shape needed; Baton's structured
 * flows have no other thread that could still run then (branches end at their join, a child before its parent goes
 * on), so nothing is left to do. One exception since join policies: a branch a join let run on (`rest: 'ignore'`)
 * may still be running when its orchestration completes; it runs to its end on its own, so the orchestration is
 * recorded completed before all of its work is.
 * BPEL: +
 */
import { branch, delay, orchestration, parallel, receive, send } from '../../functions/builders.ts';

/** A survey sent by mail and by text; the instance ends when both went out, with no end node. */
export const implicitTermination = orchestration('Wcp11ImplicitTermination', 1, [
  receive('receiveSurvey', 'Survey', { into: 'survey' }),
  parallel('distribute', [
    branch('mail', [delay('printRun', { hours: 2 }), send('mailIt', 'send', 'SurveyMailed', () => ({}))]),
    branch('text', [send('textIt', 'send', 'SurveyTexted', () => ({}))]),
  ]),
]);

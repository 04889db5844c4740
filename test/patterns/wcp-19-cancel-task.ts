/**
 * WCP-19 Cancel Task
 *
 * Definition: An enabled task is withdrawn prior to it commencing execution. If the task has started, it is
 * disabled and, where possible, the currently running instance is halted and removed.
 * Rating: supported
 * Reason: The task in a scope with an interrupting event handler (`scope(id, steps, { events: [onEvent(name,
 * receiveCorrelated(...), steps)] })`): the Cancel message is taken wherever the scope waits. Enabled but not
 * started (here, waiting for an inspector to accept it), the task is withdrawn and never starts; started, it is
 * halted where it stands: the branch instances it runs (a `parallel`'s branches, a `forEach`'s lanes, a `child`, and
 * theirs in turn) are terminated in the handler's commit, even one mid-step (its host finds its lease taken and
 * commits nothing), what they sent stays sent and what they had left is not done. The handler runs instead of the
 * rest of the task, then the process goes on after it. Steps the instance's own thread is running when the Cancel
 * comes (a code step, a send) finish first: messages are taken where the scope waits. One limit: the task must be
 * on the instance's own thread (alone, or a `parallel`, `forEach` or `child` there); a task inside a parallel branch
 * cannot be cancelled alone, since a branch cannot receive (cancelling a scope around its `parallel` cancels its
 * sibling branches too).
 * BPEL: +
 */
import {
  branch,
  callable,
  child,
  delay,
  forEach,
  onEvent,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  scope,
  send,
} from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** The inspection: the site walked (three hours) while the rooms are photographed one after the other (an hour each). */
export const inspection = callable('Inspection', [
  parallel('inspect', [
    branch('site', [delay('walkSite', { hours: 3 }), send('siteInspected', 'send', 'SiteInspected', () => ({}))]),
    branch('rooms', [
      forEach(
        'photograph',
        (ctx) => ctx.vars.rooms as string[],
        [
          delay('photographs', { hours: 1 }),
          send('photographed', 'send', 'RoomPhotographed', (ctx) => ({ room: ctx.item })),
        ],
        { maxConcurrency: 1 },
      ),
    ]),
  ]),
]);

/** A claim's inspection, enabled once requested and started once an inspector accepts it; the insurer may cancel it. */
export const cancelTask = orchestration(
  'Wcp19CancelTask',
  1,
  [
    receive('receiveClaim', 'Claim', { into: 'claim', correlation: 'claim' }),
    send('requestInspection', 'send', 'InspectionRequested', (ctx) => ({ key: keyOf(ctx.message('claim')) })),
    scope(
      'inspectionTask',
      [
        receiveCorrelated('receiveAccepted', 'InspectionAccepted', { into: 'accepted', correlation: 'claim' }),
        child('inspect', inspection, {
          params: (ctx) => ({ rooms: (ctx.message('claim').body as { rooms: string[] }).rooms }),
        }),
        send('report', 'send', 'InspectionReported', (ctx) => ({ key: keyOf(ctx.message('claim')) })),
      ],
      {
        events: [
          onEvent(
            'withdrawn',
            receiveCorrelated('receiveCancel', 'CancelInspection', { into: 'cancel', correlation: 'claim' }),
            [send('withdraw', 'send', 'InspectionWithdrawn', (ctx) => ({ key: keyOf(ctx.message('claim')) }))],
          ),
        ],
      },
    ),
    send('assess', 'send', 'ClaimAssessed', (ctx) => ({ key: keyOf(ctx.message('claim')) })),
  ],
  {
    correlationSets: {
      claim: { Claim: keyOf, InspectionAccepted: keyOf, CancelInspection: keyOf },
    },
  },
);

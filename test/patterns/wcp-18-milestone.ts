/**
 * WCP-18 Milestone
 *
 * Definition: A task is only enabled when the process instance (of which it is part) is in a specific state
 * (typically a parallel branch). The state is assumed to be a specific execution point (also known as a milestone)
 * in the process model. When this execution point is reached the nominated task can be enabled. If the process
 * instance has progressed beyond this state, then the task cannot be enabled now or at any future time.
 * Rating: partial
 * Reason: The milestone is a Listen inside a loop: while the instance waits there, the task's message is taken and
 * the task runs (and the instance comes back to the milestone); the message that moves the instance on ends the
 * loop, after which the task's message is never taken. The state is held by the thread itself, not by a parallel
 * branch the task tests, and a loop flag is kept by hand.
 * BPEL: -
 * Pending: non-interrupting scope event handlers: the task as a handler of the scope that spans the milestone,
 * enabled exactly while that scope runs.
 */
import {
  code,
  listen,
  loop,
  onMessage,
  orchestration,
  receive,
  receiveCorrelated,
  send,
} from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** A booking's route can be changed as long as its ticket has not been issued. */
export const milestone = orchestration(
  'Wcp18Milestone',
  1,
  [
    receive('receiveBooking', 'Booking', { into: 'booking', correlation: 'booking' }),
    code('book', (ctx) => {
      ctx.vars.route = (ctx.message('booking').body as { route: string }).route;
      ctx.vars.issued = false;
    }),
    loop('untilIssued', (ctx) => ctx.vars.issued !== true, [
      listen('atMilestone', [
        onMessage(
          'changeRoute',
          receiveCorrelated('receiveChange', 'RouteChange', { into: 'change', correlation: 'booking' }),
          [
            code('reroute', (ctx) => {
              ctx.vars.route = (ctx.message('change').body as { route: string }).route;
            }),
          ],
        ),
        onMessage(
          'issue',
          receiveCorrelated('receiveIssue', 'IssueTicket', { into: 'issue', correlation: 'booking' }),
          [
            code('issued', (ctx) => {
              ctx.vars.issued = true;
            }),
          ],
        ),
      ]),
    ]),
    send('ticket', 'send', 'TicketIssued', (ctx) => ({ key: keyOf(ctx.message('booking')), route: ctx.vars.route })),
  ],
  { correlationSets: { booking: { Booking: keyOf, RouteChange: keyOf, IssueTicket: keyOf } } },
);

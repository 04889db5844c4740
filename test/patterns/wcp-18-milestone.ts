/**
 * WCP-18 Milestone
 *
 * Definition: A task is only enabled when the process instance (of which it is part) is in a specific state
 * (typically a parallel branch). The state is assumed to be a specific execution point (also known as a milestone)
 * in the process model. When this execution point is reached the nominated task can be enabled. If the process
 * instance has progressed beyond this state, then the task cannot be enabled now or at any future time.
 * Rating: supported
 * Reason: The milestone is a scope around the execution point, the task a non-interrupting event handler of it
 * (`scope(id, steps, { events: [onEvent(name, receiveCorrelated(...), steps, { interrupting: false })] })`): the
 * handler is live exactly while the scope runs, so its message runs the task only while the instance waits at the
 * milestone, as often as it comes, and the instance goes back to waiting there; once the instance has moved past the
 * scope the task is never run again. No loop or flag is kept by hand. As in the pattern's net, where the task takes
 * the milestone's token and puts it back, the instance cannot move past the milestone while the task runs (one
 * thread: a message that moves it on is taken once the task ended). A task message sent before the milestone is
 * reached is kept, as any correlated message is (WCP-24), and runs the task once it is (a `transient` trigger drops
 * it instead); one sent after the milestone passed is never taken, and ends as a suspended message when the instance
 * ends. The milestone is a point (or span)
 * of the instance's own thread: a scope with event handlers cannot sit inside a parallel branch.
 * BPEL: -
 */
import { code, onEvent, orchestration, receive, receiveCorrelated, scope, send } from '../../functions/builders.ts';

const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

/** A booking's route can be changed once it is paid for, as long as its ticket has not been issued. */
export const milestone = orchestration(
  'Wcp18Milestone',
  1,
  [
    receive('receiveBooking', 'Booking', { into: 'booking', correlation: 'booking' }),
    code('book', (ctx) => {
      ctx.vars.route = (ctx.message('booking').body as { route: string }).route;
    }),
    receiveCorrelated('receivePayment', 'Payment', { into: 'payment', correlation: 'booking' }),
    // The milestone: paid for, ticket not issued.
    scope(
      'untilTicketed',
      [receiveCorrelated('receiveIssue', 'IssueTicket', { into: 'issue', correlation: 'booking' })],
      {
        events: [
          onEvent(
            'changeRoute',
            receiveCorrelated('receiveChange', 'RouteChange', { into: 'change', correlation: 'booking' }),
            [
              code('reroute', (ctx) => {
                ctx.vars.route = (ctx.message('change').body as { route: string }).route;
              }),
              send('rerouted', 'send', 'RouteChanged', (ctx) => ({
                key: keyOf(ctx.message('booking')),
                route: ctx.vars.route,
              })),
            ],
            { interrupting: false },
          ),
        ],
      },
    ),
    send('ticket', 'send', 'TicketIssued', (ctx) => ({ key: keyOf(ctx.message('booking')), route: ctx.vars.route })),
    receiveCorrelated('receiveBoarding', 'Boarded', { into: 'boarded', correlation: 'booking' }),
    send('flown', 'send', 'Flown', (ctx) => ({ key: keyOf(ctx.message('booking')), route: ctx.vars.route })),
  ],
  {
    correlationSets: {
      booking: { Booking: keyOf, Payment: keyOf, RouteChange: keyOf, IssueTicket: keyOf, Boarded: keyOf },
    },
  },
);

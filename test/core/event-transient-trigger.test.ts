import { describe, expect, it } from 'vitest';
import { code, onEvent, orchestration, receive, receiveCorrelated, scope, send } from '../../functions/core/builder.ts';
import type { InstanceState } from '../../functions/core/instance.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

/**
 * Found writing the WCP-18 Milestone sample: `transient: true` on an event handler's trigger was accepted and had no
 * effect. `takeEvent` looked for the trigger's message without a time to count from, so a message that came before
 * the scope was entered (here a minute before) was taken as if the trigger were persistent, where a transient receive
 * takes only what arrives while it waits (test/core/transient.test.ts). Now the thread keeps when it entered a scope
 * with a transient trigger, the trigger counts only what arrived since, and one it passed over ends as a suspended
 * message saying so.
 */
const keyOf = (m: { body: unknown }) => (m.body as { key: string }).key;

const booking = orchestration(
  'TransientEvent',
  1,
  [
    receive('booking', 'Booking', { into: 'booking', correlation: 'booking' }),
    receiveCorrelated('payment', 'Payment', { into: 'payment', correlation: 'booking' }),
    scope('untilTicketed', [receiveCorrelated('issue', 'IssueTicket', { into: 'issue', correlation: 'booking' })], {
      events: [
        onEvent(
          'changeRoute',
          receiveCorrelated('change', 'RouteChange', { into: 'change', correlation: 'booking', transient: true }),
          [
            code('reroute', (ctx) => {
              ctx.vars.route = (ctx.message('change').body as { route: string }).route;
            }),
            send('rerouted', 'send', 'RouteChanged', (ctx) => ({ route: ctx.vars.route })),
          ],
          { interrupting: false },
        ),
      ],
    }),
    send('ticket', 'send', 'TicketIssued', (ctx) => ({ route: ctx.vars.route ?? 'as booked' })),
  ],
  { correlationSets: { booking: { Booking: keyOf, Payment: keyOf, RouteChange: keyOf, IssueTicket: keyOf } } },
);

describe('an event handler with a transient trigger', () => {
  it('takes only a message that arrived once its scope began', async () => {
    const w = createWorld([booking]);
    const deliver = (type: string, body: Record<string, unknown> = {}) =>
      w.receiver.receive([rawMessage({ key: 'b-1', ...body }, { MessageType: type })]);
    await deliver('Booking');
    await settle(w);
    // Before the scope: a transient trigger should not count it.
    await deliver('RouteChange', { route: 'BNE-KUL' });
    await settle(w);
    w.clock.advance(60_000);
    await deliver('Payment');
    await settle(w);
    // In the scope: this one counts.
    await deliver('RouteChange', { route: 'BNE-HKG' });
    await settle(w);
    await deliver('IssueTicket');
    await settle(w);
    expect(w.sendPort.sent.map((m) => [m.messageType, m.body])).toEqual([
      ['RouteChanged', { route: 'BNE-HKG' }],
      ['TicketIssued', { route: 'BNE-HKG' }],
    ]);
    const main = [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState)[0]!;
    expect(main.status).toBe('completed');
    expect([...w.store.suspended.values()].map((m) => [m.attributes.MessageType, m.reason])).toEqual([
      ['RouteChange', expect.stringContaining('before the transient receive "change" began waiting')],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { complete, orchestration, receive, receiveCorrelated, send } from '../../functions/core/builder.ts';
import type { RawMessage } from '../../functions/core/message.ts';
import { RESUBMISSION_ID } from '../../functions/core/resubmission.ts';
import { RESUBMITTED_FROM } from '../../functions/core/tracking.ts';
import type { AuditEntry, AuditTrail } from '../../console/audit.ts';
import { Operations } from '../../console/operations.ts';
import type { OperatorQueues } from '../../console/queues.ts';
import { MemoryHistory } from '../helpers/memory-history.ts';
import { createWorld, settle } from '../helpers/world.ts';
import { orderIdOf } from '../helpers/orders.ts';

/** An order is confirmed once: the effect a resubmission must not double. */
const orders = orchestration('Orders', 1, [
  receive('order', 'Order', { into: 'order' }),
  send('confirm', 'send', 'Confirmed', (ctx) => ({ orderId: orderIdOf(ctx.message('order')) })),
  complete('done'),
]);

/**
 * The engine on in-memory fakes with the console's operations over it: what an operator sends goes to the receive
 * queue, which hands it to the receive host with an SQS MessageId of its own (as SQS does: two sends, two ids).
 */
function operated(definitions = [orders]) {
  const w = createWorld(definitions);
  const history = new MemoryHistory();
  const queue: RawMessage[] = [];
  const audit: AuditEntry[] = [];
  let sqsIds = 0;
  let ids = 0;
  const queues = {
    /** Throw from here to fail a send (the console's process dies, or SQS refuses). */
    beforeSend: undefined as (() => void) | undefined,
    async send(name: string, body: string, attributes: Readonly<Record<string, string>>) {
      expect(name).toBe('receive');
      queues.beforeSend?.();
      const messageId = `sqs-${++sqsIds}`;
      queue.push({ messageId, body, attributes: { ...attributes } });
      return messageId;
    },
  };
  const operations = (operator: string) =>
    new Operations({
      store: Object.assign(w.store, { countByStatus: async () => ({}) }),
      history,
      admin: {
        resume: async () => {
          throw new Error('not here');
        },
        terminate: async () => {
          throw new Error('not here');
        },
      },
      queues: queues as unknown as OperatorQueues,
      audit: {
        record: async (entry: AuditEntry) => {
          audit.push(entry);
        },
      } as unknown as AuditTrail,
      operator,
      now: w.clock.now,
      newId: () => `resubmission-${++ids}`,
    });
  /** The receive host takes what waits on the queue, then the hosts run it all. */
  const deliver = async () => {
    await w.receiver.receive(queue.splice(0));
    await settle(w);
  };
  return { ...w, history, queue, queues, audit, operations, deliver };
}

const confirmed = (w: ReturnType<typeof operated>) =>
  w.sendPort.sent.filter((m) => m.messageType === 'Confirmed').map((m) => (m.body as { orderId: string }).orderId);

/** A bad Order the receive host suspends (its body is no JSON), and the fixed body an operator resubmits. */
async function suspendedOrder(w: ReturnType<typeof operated>, orderId: string) {
  await w.receiver.receive([
    { messageId: `bad-${orderId}`, body: `{"orderId":"${orderId}",`, attributes: { MessageType: 'Order' } },
  ]);
  const [kept] = await w.store.listSuspendedMessages();
  expect(kept?.messageId).toBe(`bad-${orderId}`);
  return { messageId: kept!.messageId, fixed: JSON.stringify({ orderId, customerId: 'c-1', lines: [] }) };
}

describe('resubmitting a suspended message (console/operations.ts, core/resubmission.ts)', () => {
  it('sends one message when two operators resubmit the same suspended message at once: one effect, the other refused', async () => {
    const w = operated();
    const { messageId, fixed } = await suspendedOrder(w, 'o-twice');
    const results = await Promise.all([
      w.operations('ada').resubmit(messageId, { body: fixed }),
      w.operations('bob').resubmit(messageId, { body: fixed }),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['done', 'refused']);
    expect(results.find((r) => r.outcome === 'refused')!.detail).toMatch(
      /^already resubmitted as resubmission-\d by (ada|bob) at /,
    );
    expect(w.queue).toHaveLength(1);
    await w.deliver();
    expect(confirmed(w)).toEqual(['o-twice']);
    expect(w.audit.map((e) => e.outcome).sort()).toEqual(['done', 'refused']);
  });

  it('refuses a second resubmission of a message already resubmitted (a double click, a retried request)', async () => {
    const w = operated();
    const { messageId, fixed } = await suspendedOrder(w, 'o-click');
    const first = await w.operations('ada').resubmit(messageId, { body: fixed });
    const second = await w.operations('ada').resubmit(messageId, { body: fixed });
    expect(first).toMatchObject({
      outcome: 'done',
      newMessageId: 'resubmission-1',
      detail: 'resubmitted as resubmission-1 (edited)',
    });
    expect(second).toMatchObject({
      outcome: 'refused',
      detail: expect.stringMatching(/^already resubmitted as resubmission-1 by ada/),
    });
    await w.deliver();
    expect(confirmed(w)).toEqual(['o-click']);
  });

  it('loses nothing to a crash between the claim and the send: the record names what was not sent, and sending it again sends the same, taken once however often it comes', async () => {
    const w = operated();
    const { messageId, fixed } = await suspendedOrder(w, 'o-crash');
    w.queues.beforeSend = () => {
      throw new Error('connection reset');
    };
    const failed = await w.operations('ada').resubmit(messageId, { body: fixed, messageType: 'Order' });
    expect(failed).toMatchObject({ outcome: 'failed', newMessageId: 'resubmission-1' });
    expect(failed.detail).toContain(
      `send it again (baton resubmit ${messageId} --again, or the console's Send it again)`,
    );
    // Claimed, with what it goes with: the edited body is kept for a send again.
    expect((await w.store.suspendedMessage(messageId))!.resolution).toMatchObject({
      kind: 'resubmitted',
      resubmittedAs: 'resubmission-1',
      body: fixed,
      reason: 'edited',
    });
    expect(w.queue).toHaveLength(0);
    expect((await w.operations('bob').resubmit(messageId)).outcome).toBe('refused');

    w.queues.beforeSend = undefined;
    expect(await w.operations('ada').sendAgain(messageId)).toMatchObject({
      outcome: 'done',
      newMessageId: 'resubmission-1',
    });
    // Sent again before the first copy was seen (the operator could not tell): two SQS messages, one resubmission.
    expect(await w.operations('bob').sendAgain(messageId)).toMatchObject({
      outcome: 'done',
      newMessageId: 'resubmission-1',
    });
    expect(
      w.queue.map((m) => [m.messageId, m.body, m.attributes[RESUBMITTED_FROM], m.attributes[RESUBMISSION_ID]]),
    ).toEqual([
      ['sqs-1', fixed, messageId, 'resubmission-1'],
      ['sqs-2', fixed, messageId, 'resubmission-1'],
    ]);
    await w.deliver();
    expect(confirmed(w)).toEqual(['o-crash']);
    expect(w.store.items.size).toBe(1);
    expect(await w.store.listSuspendedMessages()).toEqual([]);

    // Once its history shows where it went, there is nothing to send again.
    await w.history.record(
      {
        events: [],
        links: [{ key: 'message:resubmission-1', subject: [...w.store.items.keys()][0]!, at: w.clock.now() }],
      },
      '1',
    );
    expect(await w.operations('ada').sendAgain(messageId)).toMatchObject({
      outcome: 'refused',
      detail: expect.stringMatching(/^resubmission resubmission-1 arrived \(taken by /),
    });
  });

  it('takes a second copy of one resubmission as a redelivery wherever it ends: the same suspended record when it is suspended again', async () => {
    const w = operated();
    const { messageId } = await suspendedOrder(w, 'o-still-bad');
    await w.operations('ada').resubmit(messageId, { body: '{"still": "not an order"' });
    await w.operations('ada').sendAgain(messageId);
    await w.deliver();
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.messageId)).toEqual(['resubmission-1']);
    expect(kept[0]!.attributes[RESUBMITTED_FROM]).toBe(messageId);
  });

  it("takes no message as a resubmission that its original's record does not name: a forged one is suspended with the reason", async () => {
    const w = operated();
    const { messageId, fixed } = await suspendedOrder(w, 'o-forged');
    const forged = (id: string, from = messageId): RawMessage => ({
      messageId: `sqs-${id}`,
      body: fixed,
      attributes: { MessageType: 'Order', [RESUBMITTED_FROM]: from, [RESUBMISSION_ID]: id },
    });
    // Not resubmitted yet: no one may say it is.
    await w.receiver.receive([forged('r-early')]);
    await w.operations('ada').resubmit(messageId, { body: fixed });
    // Resubmitted, under another id; and one naming a message that was never suspended.
    await w.receiver.receive([forged('r-other'), forged('r-none', 'nothing-here')]);
    await w.deliver();
    expect(confirmed(w)).toEqual(['o-forged']);
    const reasons = Object.fromEntries((await w.store.listSuspendedMessages()).map((m) => [m.messageId, m.reason]));
    expect(reasons).toEqual({
      'sqs-r-early': `InvalidMessage: it claims to be resubmission r-early of ${messageId}, but ${messageId} was not resubmitted: not taken as one`,
      'sqs-r-other': `InvalidMessage: it claims to be resubmission r-other of ${messageId}, but ${messageId} was resubmitted as resubmission-1: not taken as one`,
      'sqs-r-none':
        'InvalidMessage: it claims to be resubmission r-none of nothing-here, but there is no suspended message nothing-here: not taken as one',
    });
  });
});

/** Every Order is confirmed; a customer's first Order also opens their tally (a convoy), which ends at once. */
const tally = orchestration(
  'Tally',
  1,
  [
    receive('first', 'Order', { into: 'first', correlation: 'customer' }),
    send('open', 'send', 'TallyOpened', (ctx) => ({
      customerId: (ctx.message('first').body as { customerId: string }).customerId,
    })),
    complete('done'),
  ],
  { correlationSets: { customer: { Order: (m) => (m.body as { customerId?: string }).customerId } } },
);

/** An order waits for its Approval; so does its ledger, opened by a message of its own. Each confirms once. */
const approvals = orchestration(
  'Approvals',
  1,
  [
    receive('order', 'Order', { into: 'order', correlation: 'order' }),
    receiveCorrelated('approval', 'Approval', { into: 'approval', correlation: 'order' }),
    send('approved', 'send', 'Approved', (ctx) => ({ orderId: orderIdOf(ctx.message('order')) })),
    complete('done'),
  ],
  { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf } } },
);
const ledger = orchestration(
  'Ledger',
  1,
  [
    receive('opening', 'Opening', { into: 'opening', correlation: 'order' }),
    receiveCorrelated('approval', 'Approval', { into: 'approval', correlation: 'order' }),
    send('booked', 'send', 'Booked', (ctx) => ({ orderId: orderIdOf(ctx.message('opening')) })),
    complete('done'),
  ],
  { correlationSets: { order: { Opening: orderIdOf, Approval: orderIdOf } } },
);

describe('resubmitting a message routed to several orchestrations that some took (core/resubmission.ts)', () => {
  const sent = (w: ReturnType<typeof operated>, type: string) =>
    w.sendPort.sent.filter((m) => m.messageType === type).length;

  it('activates again none of those that took it: an order another subscription refused is resubmitted to that one only', async () => {
    const w = operated([orders, tally]);
    const order = (orderId: string) => ({
      messageId: `sqs-${orderId}`,
      body: JSON.stringify({ orderId, customerId: 'c-9', lines: [] }),
      attributes: { MessageType: 'Order' },
    });
    await w.receiver.receive([order('o-1')]);
    await settle(w);
    // The customer's tally has ended: their second order is confirmed, and kept for the tally that refused it.
    await w.receiver.receive([order('o-2')]);
    await settle(w);
    expect(confirmed(w)).toEqual(['o-1', 'o-2']);
    const [kept] = await w.store.listSuspendedMessages();
    expect(kept).toMatchObject({ messageId: 'sqs-o-2', takenBy: ['Orders'] });
    expect(kept!.reason).toMatch(
      /^delivered to \S+; not taken by the rest: the Tally instance for customer="c-9" has already completed/,
    );

    expect((await w.operations('ada').resubmit(kept!.messageId)).outcome).toBe('done');
    await w.deliver();
    // Not confirmed twice: the resubmission went to Tally only, which still refuses it, so it is kept in its turn,
    // naming who took the message it resubmits (a resubmission of it skips them too).
    expect(confirmed(w)).toEqual(['o-1', 'o-2']);
    const [again] = await w.store.listSuspendedMessages();
    expect(again).toMatchObject({ messageId: 'resubmission-1', takenBy: ['Orders'] });
    expect(again!.reason).toContain('the Tally instance for customer="c-9" has already completed');
  });

  it('delivers a resubmitted Approval only to the ledger that was missing, not again to the order that took it', async () => {
    const w = operated([approvals, ledger]);
    await w.receiver.receive([
      { messageId: 'sqs-order', body: JSON.stringify({ orderId: 'o-6' }), attributes: { MessageType: 'Order' } },
    ]);
    await settle(w);
    // The ledger is not there yet: past the deliveries it is held for, the order takes the Approval, the rest is kept.
    await w.receiver.receive([
      {
        messageId: 'sqs-approval',
        body: JSON.stringify({ orderId: 'o-6' }),
        attributes: { MessageType: 'Approval' },
        receiveCount: 4,
      },
    ]);
    await settle(w);
    const [kept] = await w.store.listSuspendedMessages();
    expect(kept).toMatchObject({ messageId: 'sqs-approval', takenBy: ['Approvals'] });
    expect(kept!.reason).toContain('not taken by the rest: no Ledger instance has order="o-6"');
    await w.receiver.receive([
      { messageId: 'sqs-opening', body: JSON.stringify({ orderId: 'o-6' }), attributes: { MessageType: 'Opening' } },
    ]);
    await settle(w);

    expect((await w.operations('ada').resubmit(kept!.messageId)).outcome).toBe('done');
    await w.deliver();
    expect([sent(w, 'Approved'), sent(w, 'Booked')]).toEqual([1, 1]);
    // Taken whole by the ledger: nothing refused it this time, so nothing is kept.
    expect(await w.store.listSuspendedMessages()).toEqual([]);
    const taken = [...w.store.items.values()].map(
      (item) => JSON.parse(item) as { orchestration: string; status: string; consumed: string[] },
    );
    expect(taken.map((s) => [s.orchestration, s.status, s.consumed.at(-1)]).sort()).toEqual([
      ['Approvals', 'completed', 'sqs-approval'],
      ['Ledger', 'completed', 'resubmission-1'],
    ]);
  });
});

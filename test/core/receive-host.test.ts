import { describe, expect, it } from 'vitest';
import { code, complete, orchestration, receive, receiveCorrelated } from '../../functions/core/builder.ts';
import { MAX_REASON_CHARS } from '../../functions/core/errors.ts';
import { ReceiveHost, MAX_STORED_BODY_BYTES } from '../../functions/core/receive-host.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { ManualClock, MemoryInstanceStore, MemoryWorkQueue } from '../helpers/memory.ts';
import { rawMessage, validOrder } from '../helpers/orders.ts';

function receiver(definitions = [orderFulfilment()], maxBodyBytes?: number) {
  const store = new MemoryInstanceStore();
  const workQueue = new MemoryWorkQueue();
  const host = new ReceiveHost({ registry: new OrchestrationRegistry(definitions), store, workQueue, clock: new ManualClock(), source: 'receive', maxBodyBytes });
  return { store, workQueue, host };
}

describe('ReceiveHost', () => {
  it('keeps a message that fails at its last delivery as a suspended message, naming who has it, rather than failing it into the DLQ', async () => {
    const orders = orchestration('Orders', 1, [receive('r', 'Order', { into: 'o' }), complete('done')]);
    const audit = orchestration('Audit', 1, [receive('r', 'Order', { into: 'o' }), complete('done')]);
    const store = new MemoryInstanceStore();
    const host = new ReceiveHost({ registry: new OrchestrationRegistry([orders, audit]), store, workQueue: new MemoryWorkQueue(), clock: new ManualClock(), source: 'receive', suspendAtReceive: 5 });
    // The store takes the Orders instance, and refuses the Audit one, delivery after delivery.
    const create = store.create.bind(store);
    store.create = async (state) => {
      if (state.orchestration === 'Audit') throw new Error('ServiceUnavailable');
      return create(state);
    };
    const message = rawMessage(validOrder('o-5'));
    for (const receiveCount of [1, 2, 3, 4]) {
      const { failures } = await host.receive([{ ...message, receiveCount }]);
      expect([...failures.keys()]).toEqual([message.messageId]);
    }
    const last = await host.receive([{ ...message, receiveCount: 5 }]);
    expect(last.failures.size).toBe(0);
    expect(last.outcomes).toMatchObject([{ messageId: message.messageId, result: 'suspended' }]);
    expect(store.suspended.get(message.messageId)).toMatchObject({ takenBy: ['Orders'], reason: expect.stringMatching(/^not received after 5 deliveries .*ServiceUnavailable/) });
  });

  it('routes a redelivered message once', async () => {
    const r = receiver();
    const message = rawMessage(validOrder());
    const first = await r.host.receive([message]);
    const again = await r.host.receive([message]);
    expect(r.store.items.size).toBe(1);
    expect(again.outcomes[0]!.instanceIds).toEqual(first.outcomes[0]!.instanceIds);
  });

  it('takes the type from the body when the attribute is missing', async () => {
    const r = receiver();
    const { outcomes } = await r.host.receive([rawMessage({ ...validOrder(), messageType: 'Order' }, {})]);
    expect(outcomes[0]!.result).toBe('activated');
  });

  it.each([
    ['a body that is not JSON', rawMessage('{"orderId": ', { MessageType: 'Order' }), 'body is not JSON'],
    ['no message type', rawMessage(validOrder(), {}), 'no message type'],
    ['an invalid type name', rawMessage(validOrder(), { MessageType: '<script>' }), 'is not a valid type name'],
    ['no subscription', rawMessage(validOrder(), { MessageType: 'Invoice' }), 'no subscription matches message type "Invoice"'],
  ])('keeps %s as a suspended message with its reason and body', async (_, message, reason) => {
    const r = receiver();
    const { outcomes, failures } = await r.host.receive([message]);
    expect(failures.size).toBe(0);
    expect(outcomes[0]!.result).toBe('suspended');
    const [kept] = await r.store.listSuspendedMessages();
    expect(kept!.reason).toContain(reason);
    expect(kept!.body).toBe(message.body);
    expect(kept!.attributes).toEqual(message.attributes);
    expect(r.workQueue.items).toHaveLength(0);
  });

  it('keeps a message whose reason quotes the sender at any length (a correlation value, a pointer\'s key) with the reason cut to what its record holds', async () => {
    const waiting = orchestration('Waiting', 1, [
      receive('start', 'Open', { into: 'open', correlation: 'key' }),
      receiveCorrelated('more', 'More', { into: 'more', correlation: 'key' }),
      complete('end'),
    ], { correlationSets: { key: { Open: (m) => (m.body as { key: string }).key, More: (m) => (m.body as { key: string }).key } } });
    const r = receiver([waiting]);
    const key = 'k'.repeat(250_000);
    // A message for an instance that never comes: held for a few deliveries, then kept, naming the value it waited for.
    const { outcomes, failures } = await r.host.receive([{ ...rawMessage({ key }, { MessageType: 'More' }, 'm-more'), receiveCount: 9 }]);
    expect([...failures.values()].map(String)).toEqual([]);
    expect(outcomes[0]!.result).toBe('suspended');
    const kept = (await r.store.suspendedMessage('m-more'))!;
    expect(kept.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(kept.reason).toMatch(/^InvalidMessage: no Waiting instance has key="k+ … \[cut: \d+ characters in all\]$/);
    // The outcome (what the handler logs) keeps it whole.
    expect(outcomes[0]!.reason!.length).toBeGreaterThan(250_000);
  });

  it('records an oversized message and still fails it, so the DLQ keeps the intact original', async () => {
    const r = receiver();
    const huge = rawMessage({ pad: 'x'.repeat(MAX_STORED_BODY_BYTES) });
    const { failures } = await r.host.receive([huge]);
    expect(failures.has(huge.messageId)).toBe(true);
    const [kept] = await r.store.listSuspendedMessages();
    expect(kept!.reason).toContain('the original is in the receive DLQ');
  });

  it('takes a body as large as its store keeps (with a claim check, beyond what an item holds) and refuses one larger', async () => {
    const order = { ...validOrder(), note: 'x'.repeat(MAX_STORED_BODY_BYTES) };
    const r = receiver([orderFulfilment()], 4 * MAX_STORED_BODY_BYTES);
    const { outcomes, failures } = await r.host.receive([rawMessage(order)]);
    expect(failures.size).toBe(0);
    expect(outcomes[0]!.result).toBe('activated');
    expect(r.workQueue.items).toHaveLength(1);

    const over = rawMessage({ ...validOrder(), note: 'x'.repeat(4 * MAX_STORED_BODY_BYTES) });
    const refused = await r.host.receive([over]);
    expect(refused.failures.has(over.messageId)).toBe(true);
    const [kept] = await r.store.listSuspendedMessages();
    expect(kept!.reason).toContain(`at most ${4 * MAX_STORED_BODY_BYTES} bytes`);
    // What the record keeps of it is cut to what an item holds; the DLQ has the whole.
    expect(kept!.body.length).toBeLessThanOrEqual(MAX_STORED_BODY_BYTES);
  });

  it('takes an order of 20,000 lines, and suspends one whose total in cents would pass 2^53 with the reason', async () => {
    // As with a claim check: 20,000 lines are about 750 KB.
    const r = receiver([orderFulfilment()], 8 * 1024 * 1024);
    const many = { orderId: 'o-many', customerId: 'c-1', lines: Array.from({ length: 20_000 }, (_, i) => ({ sku: `s${i}`, qty: 1, unitPrice: 1 })) };
    expect((await r.host.receive([rawMessage(many)])).outcomes[0]!.result).toBe('activated');
    // Each line within its bounds (100,000 × 1,000,000.00), but 100 of them make 10^15 cents, 1,000 of them 10^16.
    const rich = { orderId: 'o-rich', customerId: 'c-1', lines: Array.from({ length: 1_000 }, (_, i) => ({ sku: `s${i}`, qty: 100_000, unitPrice: 1_000_000 })) };
    const { outcomes } = await r.host.receive([rawMessage(rich)]);
    expect(outcomes[0]!.result).toBe('suspended');
    expect(outcomes[0]!.reason).toContain('the order total in cents must stay below 2^53');
  });

  it('activates only subscriptions whose property filters match', async () => {
    const eu = orchestration('EuOrders', 1, [receive('r', 'Order', { into: 'o', filter: [{ property: 'region', equals: 'eu' }] }), code('c', () => {}), complete('e')]);
    const r = receiver([orderFulfilment(), eu]);
    const plain = await r.host.receive([rawMessage(validOrder())]);
    const fromEu = await r.host.receive([rawMessage(validOrder(), { MessageType: 'Order', region: 'eu' })]);
    expect(plain.outcomes[0]!.instanceIds).toHaveLength(1);
    expect(fromEu.outcomes[0]!.instanceIds).toHaveLength(2);
  });

  it('fails the batch entries, not the batch, when the store is down', async () => {
    const r = receiver();
    r.store.create = async () => { throw new Error('ThrottlingException'); };
    const good = rawMessage(validOrder());
    const bad = rawMessage('not json');
    const { outcomes, failures } = await r.host.receive([good, bad]);
    expect([...failures.keys()]).toEqual([good.messageId]);
    expect(outcomes.map((o) => o.messageId)).toEqual([bad.messageId]);
  });
});

import { describe, expect, it } from 'vitest';
import type { InstanceState, SendEntry } from '../../functions/core/instance.ts';
import { sampleOrchestrations, type SampleOptions } from '../../functions/orchestrations/index.ts';
import { PRICING_OUTAGE_MS } from '../../functions/orchestrations/order-fulfilment-v2.ts';
import { rawMessage } from '../helpers/orders.ts';
import { createWorld, settle } from '../helpers/world.ts';

const small = (orderId: string, sku = 'A') => ({
  orderId,
  customerId: 'c-1',
  lines: [
    { sku, qty: 2, unitPrice: 10 },
    { sku: 'B', qty: 1, unitPrice: 5 },
  ],
});
const large = (orderId: string) => ({
  orderId,
  customerId: 'c-2',
  lines: [{ sku: 'GOLD', qty: 1, unitPrice: 12_500 }],
});

function world(options: SampleOptions = {}) {
  const w = createWorld(sampleOrchestrations(options));
  const send = async (type: string, body: unknown) => {
    const result = await w.receiver.receive([rawMessage(body, { MessageType: type })]);
    expect(result.failures.size).toBe(0);
    return result.outcomes[0]!;
  };
  const sent = (type?: string) => w.sendPort.sent.filter((m) => type === undefined || m.messageType === type);
  const main = () => [...w.store.items.values()].map((v) => JSON.parse(v) as InstanceState).filter((s) => !s.branchOf);
  return { w, send, sent, main };
}

const bodyOf = (m: SendEntry) => m.body as Record<string, unknown>;

describe('OrderFulfilment v2 (the sample contract)', () => {
  it('sends one Invoice and one Shipment for a small order once its cancellation window closed', async () => {
    const { w, send, sent, main } = world();
    await send('Order', small('o-1'));
    await settle(w);
    expect(sent()).toEqual([]);
    expect(main()[0]!.status).toBe('waiting');
    await settle(w, { timers: true });
    expect(sent().map((m) => m.messageType)).toEqual(['Invoice', 'Shipment']);
    expect(bodyOf(sent('Invoice')[0]!)).toEqual({
      orderId: 'o-1',
      customerId: 'c-1',
      total: 25,
      authorisation: 'A-o-1',
    });
    expect(bodyOf(sent('Shipment')[0]!)).toEqual({
      orderId: 'o-1',
      customerId: 'c-1',
      reservations: ['R-o-1-1', 'R-o-1-2'],
    });
    expect(main()[0]!.version).toBe(2);
    expect(main()[0]!.status).toBe('completed');
  });

  it('asks for approval at the threshold and, once approved, sends exactly one Invoice and one Shipment', async () => {
    const { w, send, sent } = world({ cancellationWindowMs: 0 });
    await send('Order', large('o-2'));
    await settle(w);
    expect(sent().map((m) => [m.messageType, m.body])).toEqual([
      ['ApprovalRequest', { orderId: 'o-2', total: 12_500 }],
    ]);
    await send('Approval', { orderId: 'o-2', approved: true });
    await settle(w, { timers: true });
    expect(sent().map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice', 'Shipment']);
  });

  it('rejects a refused order, and one whose approval times out, each with one OrderRejected', async () => {
    const { w, send, sent } = world({ approvalTimeoutMs: 10_000 });
    await send('Order', large('o-3'));
    await send('Order', large('o-4'));
    await settle(w);
    await send('Approval', { orderId: 'o-3', approved: false });
    await settle(w, { timers: true });
    expect(sent('OrderRejected').map((m) => m.body)).toEqual([
      { orderId: 'o-3', reason: 'approval refused' },
      { orderId: 'o-4', reason: 'approval timeout' },
    ]);
    expect(sent('Invoice')).toEqual([]);
  });

  it('compensates reservation and payment when a Cancel arrives within the window, newest first', async () => {
    const { w, send, sent, main } = world();
    await send('Order', small('o-5'));
    await settle(w);
    await send('Cancel', { orderId: 'o-5' });
    await settle(w, { timers: true });
    expect(sent().map((m) => [m.messageType, m.body])).toEqual([
      ['OrderCancelled', { orderId: 'o-5', compensated: ['payment voided', 'inventory released'] }],
    ]);
    expect(main()[0]!.status).toBe('completed');
  });

  it('cancels an order still waiting for approval with nothing to compensate', async () => {
    const { w, send, sent } = world();
    await send('Order', large('o-6'));
    await settle(w);
    await send('Cancel', { orderId: 'o-6' });
    await settle(w, { timers: true });
    expect(sent().map((m) => [m.messageType, m.body])).toEqual([
      ['ApprovalRequest', { orderId: 'o-6', total: 12_500 }],
      ['OrderCancelled', { orderId: 'o-6', compensated: [] }],
    ]);
  });

  it('rejects an order with an out-of-stock line and voids the payment the other branch authorised', async () => {
    const { w, send, sent, main } = world();
    await send('Order', small('o-7', 'OOS-1'));
    await settle(w, { timers: true });
    expect(sent().map((m) => [m.messageType, m.body])).toEqual([
      ['OrderRejected', { orderId: 'o-7', reason: 'out of stock: OOS-1' }],
    ]);
    expect(main()[0]!.vars.compensated).toEqual(['payment voided']);
  });

  it('rejects a well-formed order the business refuses, and suspends a malformed one with the path of each issue', async () => {
    const { w, send, sent } = world();
    await send('Order', { orderId: 'o-8', customerId: 'c', lines: [] });
    const noId = await send('Order', { customerId: 'c', lines: [] });
    const wrongTypes = await send('Order', {
      orderId: 17,
      customerId: 'c',
      lines: [{ sku: 'A', qty: '2', unitPrice: 1e308 }],
    });
    await settle(w, { timers: true });
    expect(sent().map((m) => [m.messageType, m.body])).toEqual([
      ['OrderRejected', { orderId: 'o-8', reason: 'lines must be a non-empty array' }],
    ]);
    expect(noId.result).toBe('suspended');
    expect(noId.reason).toMatch(/^Order does not match its schema: orderId: /);
    // A number where a string belongs is reported as the wrong type at its path, not as a missing key.
    expect(wrongTypes.result).toBe('suspended');
    const issues = w.store.suspended.get(wrongTypes.messageId)!.issues!;
    expect(issues.map((i) => i.path)).toEqual(['orderId', 'lines[0].qty', 'lines[0].unitPrice']);
    expect(issues[0]!.message).toMatch(/string/);
  });

  it('never sends an Invoice whose total is not a finite number: the order that would overflow it is suspended', async () => {
    const { w, sent } = world({ cancellationWindowMs: 0 });
    // JSON.parse turns 1e400 into Infinity; 1e308 × 1e308 overflows the total.
    for (const body of [
      '{"orderId":"o-inf","customerId":"c","lines":[{"sku":"A","qty":1,"unitPrice":1e400}]}',
      '{"orderId":"o-big","customerId":"c","lines":[{"sku":"A","qty":1e308,"unitPrice":1e308}]}',
    ]) {
      const outcome = await w.receiver.receive([
        { messageId: `m-${body.length}`, body, attributes: { MessageType: 'Order' } },
      ]);
      expect(outcome.outcomes[0]!.result).toBe('suspended');
      expect(outcome.outcomes[0]!.reason).toMatch(/lines\[0\]\.(unitPrice|qty)/);
    }
    await settle(w, { timers: true });
    expect(sent()).toEqual([]);
  });

  it('suspends an order while the pricing service is down, and completes it when resumed after the outage', async () => {
    const { w, send, sent, main } = world();
    await send('Order', {
      orderId: 'o-down',
      customerId: 'c-1',
      lines: [{ sku: 'PRICE-DOWN-1', qty: 1, unitPrice: 5 }],
    });
    await settle(w);
    const suspended = main()[0]!;
    expect(suspended.status).toBe('suspended');
    expect(suspended.error).toMatchObject({ shapeId: 'price' });
    expect(suspended.error!.reason).toMatch(/the pricing service is not answering for PRICE-DOWN-1 until .*; resume/);
    // Resumed too early, it is suspended again, saying the same; after the outage it goes on from the price.
    await w.host().resume(suspended.instanceId);
    await settle(w);
    expect(main()[0]!.status).toBe('suspended');
    w.clock.advance(PRICING_OUTAGE_MS);
    await w.host().resume(suspended.instanceId);
    await settle(w, { timers: true });
    expect(sent().map((m) => m.messageType)).toEqual(['Invoice', 'Shipment']);
    expect(bodyOf(sent('Invoice')[0]!)).toMatchObject({ orderId: 'o-down', total: 5 });
    expect(main()[0]!.status).toBe('completed');
  });

  it('makes one instance of two Orders with one orderId received at the same moment by two receive hosts (a convoy)', async () => {
    const { w, sent, main } = world({ cancellationWindowMs: 0 });
    const [a, b] = [w.receiverFor(), w.receiverFor()];
    const results = await Promise.all([a.receive([rawMessage(small('o-9'))]), b.receive([rawMessage(small('o-9'))])]);
    // One activates; the other is a duplicate the order never takes: suspended, with the reason, not hidden.
    const outcomes = results.map((r) => r.outcomes[0]!);
    expect(outcomes.map((o) => o.result).sort()).toEqual(['activated', 'suspended']);
    expect(outcomes.find((o) => o.result === 'suspended')!.reason).toContain(
      `instance ${main()[0]!.instanceId} for order="o-9" is already`,
    );
    await settle(w, { timers: true });
    expect(main()).toHaveLength(1);
    expect(sent().map((m) => m.messageType)).toEqual(['Invoice', 'Shipment']);
  });
});

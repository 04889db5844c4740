import { describe, expect, it } from 'vitest';
import { code, complete, orchestration, receive, receiveCorrelated } from '../../functions/core/builder.ts';
import { MAX_REASON_CHARS } from '../../functions/core/errors.ts';
import { ReceiveHost, MAX_STORED_BODY_BYTES } from '../../functions/core/receive-host.ts';
import { RESUBMISSION_ID } from '../../functions/core/resubmission.ts';
import { RESUBMITTED_FROM } from '../../functions/core/tracking.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import { ManualClock, MemoryInstanceStore, MemoryWorkQueue } from '../helpers/memory.ts';
import { rawMessage, validOrder } from '../helpers/orders.ts';
import type { RawMessage } from '../../functions/core/message.ts';

function receiver(definitions = [orderFulfilment()], maxBodyBytes?: number) {
  const store = new MemoryInstanceStore();
  const workQueue = new MemoryWorkQueue();
  const host = new ReceiveHost({
    registry: new OrchestrationRegistry(definitions),
    store,
    workQueue,
    clock: new ManualClock(),
    source: 'receive',
    maxBodyBytes,
  });
  return { store, workQueue, host };
}

/** Orders and Audit, both activated by an Order, behind a receive host that keeps a message from `suspendAtReceive` on. */
function ordersAndAudit(suspendAtReceive: number) {
  const orders = orchestration('Orders', 1, [receive('r', 'Order', { into: 'o' }), complete('done')]);
  const audit = orchestration('Audit', 1, [receive('r', 'Order', { into: 'o' }), complete('done')]);
  const store = new MemoryInstanceStore();
  const host = new ReceiveHost({
    registry: new OrchestrationRegistry([orders, audit]),
    store,
    workQueue: new MemoryWorkQueue(),
    clock: new ManualClock(),
    source: 'receive',
    suspendAtReceive,
  });
  return { store, host };
}

/** An operator's resubmission of `from` as `as`: the record claimed, then the message the console sends (console/operations.ts). */
async function resubmit(store: MemoryInstanceStore, message: RawMessage, from: string, as: string, sqsId: string) {
  await store.resolveSuspendedMessage(from, { kind: 'resubmitted', by: 'ops', at: 1, resubmittedAs: as });
  return {
    ...message,
    messageId: sqsId,
    attributes: { ...message.attributes, [RESUBMITTED_FROM]: from, [RESUBMISSION_ID]: as },
  };
}

/** The orchestration of every instance the store holds, sorted. */
function orchestrationsMade(store: MemoryInstanceStore): string[] {
  return [...store.items.values()].map((json) => (JSON.parse(json) as { orchestration: string }).orchestration).sort();
}

describe('ReceiveHost', () => {
  it('keeps a message that fails at its last delivery as a suspended message, naming who has it, rather than failing it into the DLQ', async () => {
    const { store, host } = ordersAndAudit(5);
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
    expect(store.suspended.get(message.messageId)).toMatchObject({
      takenBy: ['Orders'],
      reason: expect.stringMatching(/^not received after 5 deliveries .*ServiceUnavailable/),
    });
  });

  it('gives a message taken from the dead-letter queue its last delivery: routed if it can be, else kept as a suspended message', async () => {
    const orders = orchestration('Orders', 1, [receive('r', 'Order', { into: 'o' }), complete('done')]);
    const store = new MemoryInstanceStore();
    const host = new ReceiveHost({
      registry: new OrchestrationRegistry([orders]),
      store,
      workQueue: new MemoryWorkQueue(),
      clock: new ManualClock(),
      source: 'receive',
      suspendAtReceive: 5,
    });
    // A message whose deliveries all failed (a host killed at each, say) is routed from there like any other.
    const routed = rawMessage(validOrder('o-dlq-1'));
    const first = await host.receive([{ ...routed, receiveCount: 1, deadLettered: true }]);
    expect(first.outcomes).toMatchObject([{ messageId: routed.messageId, result: 'activated' }]);
    expect(store.items.size).toBe(1);
    // One that fails there too is kept, whatever count the dead-letter queue gives it, and not failed back into it.
    const create = store.create.bind(store);
    store.create = async () => {
      throw new Error('ServiceUnavailable');
    };
    const failing = rawMessage(validOrder('o-dlq-2'));
    const before = await host.receive([{ ...failing, receiveCount: 1 }]);
    expect([...before.failures.keys()]).toEqual([failing.messageId]);
    const last = await host.receive([{ ...failing, receiveCount: 1, deadLettered: true }]);
    expect(last.failures.size).toBe(0);
    expect(last.outcomes).toMatchObject([{ messageId: failing.messageId, result: 'suspended' }]);
    expect(store.suspended.get(failing.messageId)!.reason).toMatch(
      /the last from the receive queue's dead-letter queue.*ServiceUnavailable/,
    );
    store.create = create;
  });

  it("leaves kept a message SQS brings again after it was suspended and resubmitted: its resubmission's subscribers take it once (found by the simulation)", async () => {
    const { store, host } = ordersAndAudit(3);
    const audits = () => orchestrationsMade(store).filter((name) => name === 'Audit').length;
    // At its last delivery the store refuses the Audit instance: kept, naming Orders, which has it.
    const create = store.create.bind(store);
    store.create = async (state) => {
      if (state.orchestration === 'Audit') throw new Error('ServiceUnavailable');
      return create(state);
    };
    const message = rawMessage(validOrder('o-kept'));
    expect((await host.receive([{ ...message, receiveCount: 3 }])).outcomes).toMatchObject([{ result: 'suspended' }]);
    store.create = create;
    // The operator resubmits it; the resubmission reaches Audit.
    const resubmission = await resubmit(store, message, message.messageId, 'resubmission-1', 'sqs-2');
    expect((await host.receive([resubmission])).outcomes).toMatchObject([{ result: 'activated' }]);
    expect(audits()).toBe(1);
    // The original's deletion was lost: SQS brings it again, later, or from its dead-letter queue. It stays kept.
    for (const again of [{ receiveCount: 4 }, { receiveCount: 1, deadLettered: true }]) {
      const { outcomes, failures } = await host.receive([{ ...message, ...again }]);
      expect(failures.size).toBe(0);
      expect(outcomes).toMatchObject([
        { messageId: message.messageId, result: 'suspended', reason: expect.stringContaining('kept already') },
      ]);
    }
    expect(audits()).toBe(1);
  });

  it("keeps the takers of a resubmission's original on the resubmission's own record when it fails at its last delivery, so the next one skips them too (found by the simulation)", async () => {
    const { store, host } = ordersAndAudit(3);
    const create = store.create.bind(store);
    store.create = async (state) => {
      if (state.orchestration === 'Audit') throw new Error('ServiceUnavailable');
      return create(state);
    };
    const message = rawMessage(validOrder('o-twice'));
    await host.receive([{ ...message, receiveCount: 3 }]);
    expect(store.suspended.get(message.messageId)!.takenBy).toEqual(['Orders']);
    // The resubmission fails too, at its last delivery: kept, and Orders (which took the original) still named.
    const resubmission = await resubmit(store, message, message.messageId, 'resubmission-1', 'sqs-2');
    expect((await host.receive([{ ...resubmission, receiveCount: 3 }])).outcomes).toMatchObject([
      { result: 'suspended' },
    ]);
    expect(store.suspended.get('resubmission-1')!.takenBy).toEqual(['Orders']);
    store.create = create;
    // Its own resubmission goes to Audit alone: one Orders instance for the order, one Audit.
    await host.receive([await resubmit(store, message, 'resubmission-1', 'resubmission-2', 'sqs-3')]);
    expect(orchestrationsMade(store)).toEqual(['Audit', 'Orders']);
  });

  it('sends a resubmission only where its original has not gone, even where a copy of it in flight when its record was written went since (found by the simulation)', async () => {
    const { store, host } = ordersAndAudit(3);
    const message = rawMessage(validOrder('o-in-flight'));
    // Two copies of the message at once (SQS at least once): the one at its second delivery is slow to make the Audit
    // instance; the one at its last delivery fails to, and is kept naming Orders alone.
    const create = store.create.bind(store);
    let slowAuditCalled!: () => void;
    const slowAuditReached = new Promise<void>((resolve) => {
      slowAuditCalled = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let audits = 0;
    store.create = async (state) => {
      if (state.orchestration === 'Audit' && audits++ === 0) {
        slowAuditCalled();
        await gate;
      } else if (state.orchestration === 'Audit') throw new Error('ServiceUnavailable');
      return create(state);
    };
    const slow = host.receive([{ ...message, receiveCount: 2 }]);
    await slowAuditReached;
    expect((await host.receive([{ ...message, receiveCount: 3 }])).outcomes).toMatchObject([{ result: 'suspended' }]);
    expect(store.suspended.get(message.messageId)!.takenBy).toEqual(['Orders']);
    release();
    await slow;
    store.create = create;
    // The operator resubmits it: the Audit instance the slow copy made has it, so it makes no second one.
    await host.receive([await resubmit(store, message, message.messageId, 'resubmission-1', 'sqs-2')]);
    expect(orchestrationsMade(store)).toEqual(['Audit', 'Orders']);
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
    [
      'no subscription',
      rawMessage(validOrder(), { MessageType: 'Invoice' }),
      'no subscription matches message type "Invoice"',
    ],
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

  it("keeps a message whose reason quotes the sender at any length (a correlation value, a pointer's key) with the reason cut to what its record holds", async () => {
    const waiting = orchestration(
      'Waiting',
      1,
      [
        receive('start', 'Open', { into: 'open', correlation: 'key' }),
        receiveCorrelated('more', 'More', { into: 'more', correlation: 'key' }),
        complete('end'),
      ],
      {
        correlationSets: {
          key: { Open: (m) => (m.body as { key: string }).key, More: (m) => (m.body as { key: string }).key },
        },
      },
    );
    const r = receiver([waiting]);
    const key = 'k'.repeat(250_000);
    // A message for an instance that never comes: held for a few deliveries, then kept, naming the value it waited for.
    const { outcomes, failures } = await r.host.receive([
      { ...rawMessage({ key }, { MessageType: 'More' }, 'm-more'), receiveCount: 9 },
    ]);
    expect([...failures.values()].map(String)).toEqual([]);
    expect(outcomes[0]!.result).toBe('suspended');
    const kept = (await r.store.suspendedMessage('m-more'))!;
    expect(kept.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(kept.reason).toMatch(/^InvalidMessage: no Waiting instance has key="k+ … \[cut: \d+ characters in all\]$/);
    // The outcome (what the handler logs) keeps it whole.
    expect(outcomes[0]!.reason!.length).toBeGreaterThan(250_000);
  });

  it('records an oversized message and still fails it, so the DLQ keeps the intact original, at its last delivery and from the DLQ too', async () => {
    const store = new MemoryInstanceStore();
    const host = new ReceiveHost({
      registry: new OrchestrationRegistry([orderFulfilment()]),
      store,
      workQueue: new MemoryWorkQueue(),
      clock: new ManualClock(),
      source: 'receive',
      suspendAtReceive: 5,
    });
    const huge = rawMessage({ pad: 'x'.repeat(MAX_STORED_BODY_BYTES) });
    for (const delivery of [{ receiveCount: 1 }, { receiveCount: 5 }, { receiveCount: 1, deadLettered: true }]) {
      const { failures, outcomes } = await host.receive([{ ...huge, ...delivery }]);
      expect(outcomes).toEqual([]);
      expect([...failures.keys()]).toContain(huge.messageId);
      const [kept] = await store.listSuspendedMessages();
      expect(kept!.reason).toContain('the original is in the receive DLQ');
    }
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
    expect([...refused.failures.keys()]).toContain(over.messageId);
    const [kept] = await r.store.listSuspendedMessages();
    expect(kept!.reason).toContain(`at most ${4 * MAX_STORED_BODY_BYTES} bytes`);
    // What the record keeps of it is cut to what an item holds; the DLQ has the whole.
    expect(kept!.body.length).toBeLessThanOrEqual(MAX_STORED_BODY_BYTES);
  });

  it('takes an order of 20,000 lines, and suspends one whose total in cents would pass 2^53 with the reason', async () => {
    // As with a claim check: 20,000 lines are about 750 KB.
    const r = receiver([orderFulfilment()], 8 * 1024 * 1024);
    const many = {
      orderId: 'o-many',
      customerId: 'c-1',
      lines: Array.from({ length: 20_000 }, (_, i) => ({ sku: `s${i}`, qty: 1, unitPrice: 1 })),
    };
    expect((await r.host.receive([rawMessage(many)])).outcomes[0]!.result).toBe('activated');
    // Each line within its bounds (100,000 × 1,000,000.00), but 100 of them make 10^15 cents, 1,000 of them 10^16.
    const rich = {
      orderId: 'o-rich',
      customerId: 'c-1',
      lines: Array.from({ length: 1_000 }, (_, i) => ({ sku: `s${i}`, qty: 100_000, unitPrice: 1_000_000 })),
    };
    const { outcomes } = await r.host.receive([rawMessage(rich)]);
    expect(outcomes[0]!.result).toBe('suspended');
    expect(outcomes[0]!.reason).toContain('the order total in cents must stay below 2^53');
  });

  it('activates only subscriptions whose property filters match', async () => {
    const eu = orchestration('EuOrders', 1, [
      receive('r', 'Order', { into: 'o', filter: [{ property: 'region', equals: 'eu' }] }),
      code('c', () => {}),
      complete('e'),
    ]);
    const r = receiver([orderFulfilment(), eu]);
    const plain = await r.host.receive([rawMessage(validOrder())]);
    const fromEu = await r.host.receive([rawMessage(validOrder(), { MessageType: 'Order', region: 'eu' })]);
    expect(plain.outcomes[0]!.instanceIds).toHaveLength(1);
    expect(fromEu.outcomes[0]!.instanceIds).toHaveLength(2);
  });

  it('fails the batch entries, not the batch, when the store is down', async () => {
    const r = receiver();
    r.store.create = async () => {
      throw new Error('ThrottlingException');
    };
    const good = rawMessage(validOrder());
    const bad = rawMessage('not json');
    const { outcomes, failures } = await r.host.receive([good, bad]);
    expect([...failures.keys()]).toEqual([good.messageId]);
    expect(outcomes.map((o) => o.messageId)).toEqual([bad.messageId]);
  });
});

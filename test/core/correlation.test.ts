import { createWorld, settle } from '../helpers/world.ts';
import { describe, expect, it } from 'vitest';
import {
  branch,
  code,
  complete,
  decide,
  orchestration,
  parallel,
  receive,
  receiveCorrelated,
  send,
  start,
  when,
} from '../../functions/core/builder.ts';
import { compile } from '../../functions/core/compile/compile.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';

const orderId = orderIdOf;

/** An order waits for an Approval correlated on its orderId. */
const approvals = orchestration(
  'Approvals',
  1,
  [
    receive('receiveOrder', 'Order', { into: 'order', correlation: 'order' }),
    send('askApproval', 'send', 'ApprovalRequest', (ctx) => ({ orderId: orderId(ctx.message('order')) })),
    receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'order' }),
    decide(
      'isApproved',
      [
        when('yes', (ctx) => (ctx.message('approval').body as { approved?: boolean }).approved === true, [
          send('invoice', 'send', 'Invoice', (ctx) => ({ orderId: orderId(ctx.message('order')) })),
        ]),
      ],
      [
        send('reject', 'send', 'OrderRejected', (ctx) => ({
          orderId: orderId(ctx.message('order')),
          reason: 'not approved',
        })),
      ],
    ),
    complete('done'),
  ],
  { correlationSets: { order: { Order: orderId, Approval: orderId } } },
);

function world() {
  const base = createWorld([approvals]);
  const drain = async (hostId = 'a') => {
    while (base.workQueue.items.length > 0)
      await base.host(hostId).process(base.workQueue.items.shift()!, { receiveCount: 1 });
  };
  return { ...base, receiver: base.receiverFor, drain };
}

const order = (id: string) => rawMessage({ orderId: id, customerId: 'c', lines: [] }, { MessageType: 'Order' });
const approval = (id: string, approved: boolean, receiveCount = 1) => ({
  ...rawMessage({ orderId: id, approved }, { MessageType: 'Approval' }),
  receiveCount,
});

describe('correlated receive', () => {
  it('dehydrates at the receive, then a matching Approval wakes the instance to one Invoice', async () => {
    const w = world();
    await w.receiver().receive([order('o-1')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    expect((await w.store.load(instanceId!))!.status).toBe('waiting');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest']);

    const yes = approval('o-1', true);
    await w.receiver().receive([yes]);
    await w.drain();
    const done = (await w.store.load(instanceId!))!;
    expect(done.error).toBeUndefined();
    expect(done.status).toBe('completed');
    const invoice = w.sendPort.sent.find((m) => m.messageType === 'Invoice')!;
    expect(invoice.correlationId).toBe(yes.messageId);
    expect(w.store.items.size).toBe(1);
  });

  it("sends a dehydrated instance's outbox on wake-up when its host died before dispatching it, and only then", async () => {
    const w = world();
    await w.receiver().receive([order('o-7')]);
    w.sendPort.beforeDispatch = () => {
      throw new Error('host killed after commit');
    };
    await expect(w.host('a').process(w.workQueue.items.shift()!, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.sendPort.beforeDispatch = undefined;
    // Killed: nothing after the commit happened, not even the work item a failing run enqueues for itself.
    w.workQueue.items.splice(0, w.workQueue.items.length);
    await w.receiver().receive([approval('o-7', true)]); // wakes it before the lost work item comes back
    await w.drain('b');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice']);
  });

  it('holds a message that arrives before its instance reaches the receive, and uses it there', async () => {
    const w = world();
    await w.receiver().receive([order('o-2')]);
    // The Approval is routed before any processing host ran the new instance.
    await w.receiver().receive([approval('o-2', false)]);
    await w.drain();
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'OrderRejected']);
  });

  it('keeps a message delivered to an instance that ended without taking it as a suspended message (path 11)', async () => {
    const w = world();
    await w.receiver().receive([order('o-2')]);
    await w.drain();
    const first = approval('o-2', true);
    const second = approval('o-2', false);
    await w.receiver().receive([first, second]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice']);
    const kept = await w.store.listSuspendedMessages();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      messageId: second.messageId,
      attributes: { MessageType: 'Approval' },
      source: `inbox of ${instanceId}`,
    });
    expect(kept[0]!.reason).toMatch(/which ended completed without taking it/);
    expect(JSON.parse(kept[0]!.body)).toEqual({ orderId: 'o-2', approved: false });
  });

  it('empties the inbox of an instance that ends: what it did not take is kept, a copy of what it took goes (issue 22, path 10)', async () => {
    const w = world();
    await w.receiver().receive([order('o-6')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    const yes = approval('o-6', true);
    const extra = approval('o-6', false);
    await w.receiver().receive([yes, extra]);
    // The host ends the instance, then dies before the message it took leaves the inbox.
    const settle = w.store.settle.bind(w.store);
    w.store.settle = async () => {
      throw new Error('host killed');
    };
    const item = w.workQueue.items.shift()!;
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.store.settle = settle;
    w.workQueue.items.length = 0;
    // It took the Approval and persisted its Invoice; it ends in the next run.
    expect((await w.store.load(instanceId!))!.status).toBe('running');
    // Its work item comes back and finishes it: nothing is left in the inbox to outlive the instance.
    w.clock.advance(60_000);
    await w.host('b').process(item, { receiveCount: 2 });
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
    expect((await w.store.listSuspendedMessages()).map((m) => m.messageId)).toEqual([extra.messageId]);
    // The redelivery sent its outbox again, under the same MessageId (consumers drop the copy).
    expect(new Set(w.sendPort.sent.filter((m) => m.messageType === 'Invoice').map((m) => m.messageId)).size).toBe(1);
  });

  it('keeps a message delivered just as its instance ended as a suspended message, not lying in the ended inbox (issue 22, path 2)', async () => {
    const w = world();
    await w.receiver().receive([order('o-9')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    await w.receiver().receive([approval('o-9', true)]);
    // A second Approval: the receive host finds the instance waiting, and before its delivery lands the instance takes
    // the first one, completes and reads its inbox one last time.
    const deliver = w.store.deliver.bind(w.store);
    w.store.deliver = async (id, message) => {
      w.store.deliver = deliver;
      await w.drain();
      return deliver(id, message);
    };
    const late = approval('o-9', false);
    const { outcomes } = await w.receiver().receive([late]);
    await w.drain();
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice']);
    expect(outcomes).toMatchObject([{ messageId: late.messageId, result: 'suspended' }]);
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.messageId)).toEqual([late.messageId]);
    expect(kept[0]!.reason).toMatch(/has already completed; nothing waits for this Approval/);
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
    // SQS brings it back: still one record, and nothing in the inbox.
    await w.receiver().receive([{ ...late, receiveCount: 2 }]);
    expect(await w.store.listSuspendedMessages()).toHaveLength(1);
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
  });

  it('leaves nothing in the inbox of an ended instance for a copy SQS brought back of a message it took (found by the simulation, seeds 19951 and 39260)', async () => {
    const w = world();
    await w.receiver().receive([order('o-11')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    const yes = approval('o-11', true);
    await w.receiver().receive([yes]);
    // It takes the Approval, persists its Invoice, and its host dies before the Approval is settled out of the inbox.
    const settle = w.store.settle.bind(w.store);
    w.store.settle = async () => {
      throw new Error('host killed');
    };
    const item = w.workQueue.items.shift()!;
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.store.settle = settle;
    w.workQueue.items.length = 0;
    // SQS brings the Approval back: the receive host finds the order running, and before its copy lands the order's work
    // item comes back, sends the Invoice, ends it and empties its inbox.
    w.clock.advance(60_000);
    const deliver = w.store.deliver.bind(w.store);
    w.store.deliver = async (id, message) => {
      w.store.deliver = deliver;
      await w.host('b').process(item, { receiveCount: 2 });
      return deliver(id, message);
    };
    await w.receiver().receive([{ ...yes, receiveCount: 2 }]);
    await w.drain();
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
    expect(await w.store.listSuspendedMessages()).toEqual([]);
    expect(new Set(w.sendPort.sent.filter((m) => m.messageType === 'Invoice').map((m) => m.messageId)).size).toBe(1);
  });

  it('keeps what a finished instance, suspended while its end kept failing, took in before it was resumed (issue 22, path 2)', async () => {
    const w = world();
    await w.receiver().receive([order('o-8')]);
    await w.drain();
    const [instanceId] = w.store.items.keys();
    const extra = approval('o-8', false);
    await w.receiver().receive([approval('o-8', true)]);
    w.clock.advance(1);
    await w.receiver().receive([extra]);
    // It completes, and keeping what it did not take (the second Approval) keeps failing.
    const discard = w.store.discard.bind(w.store);
    w.store.discard = async () => {
      throw new Error('store refuses');
    };
    const item = w.workQueue.items.shift()!;
    await expect(w.host('a').process(item, { receiveCount: 1 })).rejects.toThrow('store refuses');
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    await w.host('a').suspend(item, 'work item failed 9 times: store refuses');
    expect((await w.store.load(instanceId!))!).toMatchObject({
      status: 'suspended',
      suspendedFrom: { status: 'completed' },
    });
    // Suspended, it takes deliveries (it could be resumed to run on).
    const late = approval('o-8', false);
    await w.receiver().receive([late]);
    w.store.discard = discard;
    await expect(w.host('b').resume(instanceId!)).resolves.toMatchObject({ status: 'completed' });
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice']);
    const kept = await w.store.listSuspendedMessages();
    expect(kept.map((m) => m.messageId).sort()).toEqual([extra.messageId, late.messageId].sort());
    expect(kept.find((m) => m.messageId === late.messageId)!.reason).toMatch(/which ended completed without taking it/);
    expect(await w.store.deliveries(instanceId!)).toEqual([]);
  });

  it('consumes a redelivered Approval once', async () => {
    const w = world();
    await w.receiver().receive([order('o-3')]);
    await w.drain();
    const yes = approval('o-3', true);
    await w.receiver().receive([yes]);
    await w.receiver().receive([yes]);
    await w.drain();
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Invoice')).toHaveLength(1);
    // Taken, it left the inbox; what is left of it keeps a later copy out.
    const instanceId = [...w.store.items.keys()][0]!;
    expect(await w.store.deliveries(instanceId)).toHaveLength(0);
    expect(await w.store.settled(instanceId, [yes.messageId])).toEqual(new Set([yes.messageId]));
    await w.receiver().receive([yes]);
    await w.drain();
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Invoice')).toHaveLength(1);
    expect(await w.store.listSuspendedMessages()).toHaveLength(0);
  });

  it('leaves a message for an instance that does not exist yet on the queue, then suspends it with the reason', async () => {
    const w = world();
    const early = approval('o-404', true);
    const first = await w.receiver().receive([early]);
    expect([...first.failures.keys()]).toContain(early.messageId);
    expect(await w.store.listSuspendedMessages()).toHaveLength(0);
    const last = await w.receiver().receive([{ ...early, receiveCount: 4 }]);
    expect(last.failures.size).toBe(0);
    const [kept] = await w.store.listSuspendedMessages();
    expect(kept!.reason).toContain('no Approvals instance has order="o-404"');
  });

  it('makes one instance of two first messages of a sequential convoy arriving at the same moment on two hosts', async () => {
    // A sequential convoy: the first Order of a customer activates, the next one of that customer joins it.
    const customer = (m: { body: unknown }) => (m.body as { customerId?: string }).customerId;
    const batcher = orchestration(
      'Batcher',
      1,
      [
        receive('first', 'Order', { into: 'first', correlation: 'customer' }),
        receiveCorrelated('second', 'Order', { into: 'second', correlation: 'customer' }),
        send('batch', 'send', 'Batch', (ctx) => ({
          orders: [orderId(ctx.message('first')), orderId(ctx.message('second'))].sort(),
        })),
        complete('done'),
      ],
      { correlationSets: { customer: { Order: customer } } },
    );
    const w = createWorld([batcher]);
    const [a, b] = [order('o-5'), order('o-6')];
    const results = await Promise.all([w.receiverFor().receive([a]), w.receiverFor().receive([b])]);
    expect(w.store.items.size).toBe(1);
    const owners = results.map((r) => r.outcomes[0]!.instanceIds[0]);
    expect(owners[0]).toBe(owners[1]);
    // The one that did not activate waits in the owner's inbox, where the later receive takes it.
    const activatedBy = (await w.store.load(owners[0]!))!.causationId;
    const other = [a, b].find((m) => m.messageId !== activatedBy)!;
    expect((await w.store.deliveries(owners[0]!)).map((m) => m.messageId)).toEqual([other.messageId]);
    await settle(w);
    expect(w.sendPort.sent.map((m) => m.body)).toEqual([{ orders: ['o-5', 'o-6'] }]);
  });

  it('suspends, with the reason, a second first message of a key its instance will never take (a duplicate)', async () => {
    const w = world();
    const [a, b] = [order('o-7'), order('o-7')];
    const results = await Promise.all([w.receiver().receive([a]), w.receiver().receive([b])]);
    expect(w.store.items.size).toBe(1);
    const outcomes = results.map((r) => r.outcomes[0]!);
    expect(outcomes.map((o) => o.result).sort()).toEqual(['activated', 'suspended']);
    expect(outcomes.find((o) => o.result === 'suspended')!.reason).toMatch(
      /Approvals instance \S+ for order="o-7" is already running and takes no further Order: a duplicate\?/,
    );
  });

  it('does not lose a wake-up delivered while another host dehydrates the instance', async () => {
    const w = world();
    await w.receiver().receive([order('o-6')]);
    const first = w.workQueue.items.shift()!;
    const commit = w.store.commit.bind(w.store);
    let raced = false;
    w.store.commit = async (next, expected, hostId, before) => {
      if (!raced && next.status === 'waiting') {
        raced = true;
        // Between host a's look at the inbox and its commit: the Approval lands and host b runs it.
        await w.receiver().receive([approval('o-6', true)]);
        await w.host('b').process(w.workQueue.items.shift()!, { receiveCount: 1 });
      }
      return commit(next, expected, hostId, before);
    };
    await w.host('a').process(first, { receiveCount: 1 });
    const state = (await w.store.load(first.instanceId))!;
    expect(state.status).toBe('completed');
    expect(w.sendPort.sent.filter((m) => m.messageType === 'Invoice')).toHaveLength(1);
  });
});

describe('correlation definitions', () => {
  it('refuses a later receive without a correlation set, or one the activation does not initialize', () => {
    expect(() =>
      compile(
        orchestration('X', 1, [
          receive('a', 'A', { into: 'a' }),
          { kind: 'receive', id: 'b', messageType: 'B', activate: false, into: 'b' },
        ]),
      ),
    ).toThrow(/must follow a correlation set/);
    expect(() =>
      compile(
        orchestration(
          'Y',
          1,
          [receive('a', 'A', { into: 'a' }), receiveCorrelated('b', 'B', { into: 'b', correlation: 'k' })],
          { correlationSets: { k: { B: () => 'x' } } },
        ),
      ),
    ).toThrow(/activating receive initializes no correlation set/);
    expect(() =>
      compile(
        orchestration('Z', 1, [receive('a', 'A', { into: 'a', correlation: 'k' }), code('c', () => {})], {
          correlationSets: { k: { B: () => 'x' } },
        }),
      ),
    ).toThrow(/has no key for message type "A"/);
  });

  it('routes a message two orchestrations follow to the one whose instance exists, and keeps the rest visible', async () => {
    // Audits also follows Approval, on its own correlation set; no Audits instance exists for o-2.
    const audits = orchestration(
      'Audits',
      1,
      [
        receive('receiveQuote', 'Quote', { into: 'quote', correlation: 'deal' }),
        receiveCorrelated('receiveApproval', 'Approval', { into: 'approval', correlation: 'deal' }),
        complete('done'),
      ],
      { correlationSets: { deal: { Quote: orderId, Approval: orderId } } },
    );
    const w = createWorld([approvals, audits]);
    await w.receiver.receive([order('o-2')]);
    await settle(w);
    const message = approval('o-2', true);
    // Held while the other instance may still be on its way: nothing is delivered to anyone meanwhile.
    for (let receiveCount = 1; receiveCount < 4; receiveCount++) {
      const { failures } = await w.receiver.receive([{ ...message, receiveCount }]);
      expect(failures.size).toBe(1);
      expect(w.workQueue.items).toEqual([]);
      expect([...w.store.inboxes.values()].flat()).toEqual([]);
    }
    // Past the hold, the instance that waits for it gets it (and its work item), and the rest is suspended, said.
    const { outcomes } = await w.receiver.receive([{ ...message, receiveCount: 4 }]);
    expect(outcomes[0]!.result).toBe('activated');
    await settle(w);
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice']);
    expect(w.store.suspended.get(message.messageId)!.reason).toMatch(
      /delivered to [0-9a-f-]+; not taken by the rest: .*no Audits instance has deal="o-2"/,
    );
  });

  it("does not hand an order made again under an expired convoy's id the Approval its predecessor received", async () => {
    const w = world();
    await w.receiver().receive([order('o-9')]);
    await w.drain();
    await w.receiver().receive([approval('o-9', true)]);
    await w.drain();
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice']);
    // Days later TTL deletes the finished instance; its inbox items stay. A new Order o-9 makes the same id.
    const [instanceId] = w.store.items.keys();
    w.store.items.delete(instanceId!);
    w.clock.advance(8 * 86_400_000);
    await w.receiver().receive([order('o-9')]);
    await w.drain();
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual(['ApprovalRequest', 'Invoice', 'ApprovalRequest']);
    expect((await w.store.load(instanceId!))!.status).toBe('waiting');
    // Its own Approval is taken.
    await w.receiver().receive([approval('o-9', true)]);
    await w.drain();
    expect(w.sendPort.sent.map((m) => m.messageType)).toEqual([
      'ApprovalRequest',
      'Invoice',
      'ApprovalRequest',
      'Invoice',
    ]);
  });

  it("gives a convoy made again under an expired one's id sends, starts and branch instances of its own (issue 22, path 1)", async () => {
    const key = (m: { body: unknown }) => (m.body as { account: string }).account;
    const statements = orchestration(
      'Statements',
      1,
      [
        receive('open', 'Opened', { into: 'opened', correlation: 'account' }),
        send('notice', 'send', 'Notice', (ctx) => ({ account: key(ctx.message('opened')) })),
        start('audit', 'Audit', (ctx) => ({ account: key(ctx.message('opened')) })),
        parallel('both', [
          branch('left', [send('leftOut', 'send', 'Left', () => ({}))]),
          branch('right', [send('rightOut', 'send', 'Right', () => ({}))]),
        ]),
        complete('done'),
      ],
      { correlationSets: { account: { Opened: key } } },
    );
    const audit = orchestration('Audit', 1, [
      receive('go', 'AuditRequest', { into: 'go' }),
      send('audited', 'send', 'Audited', () => ({})),
      complete('done'),
    ]);
    const w = createWorld([statements, audit]);
    const opened = () => rawMessage({ account: 'acc-1' }, { MessageType: 'Opened' });
    await w.receiver.receive([opened()]);
    await settle(w);
    const ids = (type: string) => w.sendPort.sent.filter((m) => m.messageType === type).map((m) => m.messageId);
    expect(w.sendPort.sent.map((m) => m.messageType).sort()).toEqual(['Audited', 'Left', 'Notice', 'Right']);
    const instances = new Set(w.store.items.keys());
    // Days later TTL deletes the finished convoy instance, in no particular order: its branch instances and the
    // orchestration it started may outlive it for a while. A new Opened for the same account makes the same id.
    const convoy = [...instances].find(
      (id) => !id.includes('~') && JSON.parse(w.store.items.get(id)!).orchestration === 'Statements',
    )!;
    w.store.items.delete(convoy);
    w.clock.advance(8 * 86_400_000);
    await w.receiver.receive([opened()]);
    await settle(w);
    expect((await w.store.load(convoy))!.status).toBe('completed');
    // Everything again, under ids of its own: consumers that drop by MessageId drop none of it.
    for (const type of ['Notice', 'Audited', 'Left', 'Right']) expect(new Set(ids(type)).size, type).toBe(2);
    const made = [...w.store.items.keys()].filter((id) => !instances.has(id));
    expect(made.filter((id) => id.includes('~'))).toHaveLength(2);
    expect(
      made.filter((id) => !id.includes('~') && JSON.parse(w.store.items.get(id)!).orchestration === 'Audit'),
    ).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { activate } from '../../functions/core/engine.ts';
import { InstanceStatus } from '../../functions/core/instance.ts';
import { DEFAULT_LEASE } from '../../functions/core/ownership.ts';
import { OrchestrationRegistry } from '../../functions/core/registry.ts';
import { sweep } from '../../functions/core/sweeper.ts';
import { orderFulfilment } from '../../functions/orchestrations/order-fulfilment.ts';
import {
  branch,
  code,
  complete,
  delay,
  orchestration as orchestrationDefinition,
  parallel,
  receive,
  receiveCorrelated,
} from '../../functions/core/builder.ts';
import { createWorld, settle } from '../helpers/world.ts';
import { orderIdOf, rawMessage } from '../helpers/orders.ts';
import { ManualClock, MemoryInstanceStore, MemoryWorkQueue } from '../helpers/memory.ts';

const orchestration = new OrchestrationRegistry([orderFulfilment()]).latest('OrderFulfilment')!;
const instance = (id: string, at: number) =>
  activate(orchestration, { messageId: id, messageType: 'Order', body: {}, properties: {}, receivedAt: at }, at);

describe('sweep', () => {
  it('re-enqueues running instances that went quiet without a live lease, and only those', async () => {
    const clock = new ManualClock();
    const store = new MemoryInstanceStore();
    const workQueue = new MemoryWorkQueue();
    const t0 = clock.now();
    const lost = instance('lost', t0);
    const fresh = instance('fresh', t0 + 50_000);
    const leased = { ...instance('leased', t0), lease: { owner: 'h', expiresAt: t0 + 120_000 } };
    const done = { ...instance('done', t0), status: InstanceStatus.Completed };
    for (const s of [lost, fresh, leased, done]) await store.create(s);
    clock.advance(100_000);

    const requeued = await sweep({ store, workQueue, clock }, { staleAfterMs: 30_000, lease: DEFAULT_LEASE });
    expect(requeued).toEqual([lost.instanceId]);
    // With the instance's trace: the step it wakes continues the order's trace.
    expect(lost.trace).toMatch(/^00-[0-9a-f]{32}-/);
    expect(workQueue.items).toEqual([{ instanceId: lost.instanceId, reason: 'sweep', trace: lost.trace }]);
  });

  it('wakes a join whose branches went quiet: it wakes the branch whose work item was lost, renews the retention of the one that ended, rests, and joins once the last ends unheard (path 5)', async () => {
    const forked = orchestrationDefinition('Forked', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('a', [code('x', () => {})]), branch('b', [code('y', () => {})])]),
      complete('done'),
    ]);
    const w = createWorld([forked]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const forks = w.workQueue.items.splice(0);
    const parentId = forks[0]!.instanceId.split('~')[0]!;
    const [a, b] = forks.map((f) => f.instanceId);
    const config = { staleAfterMs: 30_000, lease: DEFAULT_LEASE };
    const sweepNow = () => sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, config);
    // Branch a ended and its wake-up of the join was lost; branch b's work item was lost before it ran.
    await w.host().process(forks[0]!, { receiveCount: 1 });
    w.workQueue.items.splice(0);
    // The branch instances carry nothing due of their own: the join, waiting since the fork, is what the sweeper finds.
    w.clock.advance(100_000);
    expect(await sweepNow()).toEqual([parentId]);
    const wake = w.workQueue.items.splice(0)[0]!;
    expect(wake.trace).toBe((await w.store.load(parentId))!.trace);
    await expect(w.host().process(wake, { receiveCount: 1 })).resolves.toMatchObject({
      detail: 'waiting for its parallel branches',
    });
    // It gave b a work item, a a fresh retention, and rests for as long again as it has waited.
    expect(w.workQueue.items).toEqual([{ instanceId: b, reason: 'sweep', trace: (await w.store.load(b!))!.trace }]);
    expect(w.store.retired.get(a!)).toBe(w.clock.now());
    expect(await sweepNow()).toEqual([]);
    // The last branch ends, and its wake-up never arrives (lost): the join's next check finds it ready.
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(b!))!.status).toBe('completed');
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([]);
    w.clock.advance(90_000);
    expect(await sweepNow()).toEqual([parentId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(parentId))!.status).toBe('completed');
    // Joined: nothing is due any more, and no branch needed a write to expire.
    expect(await sweepNow()).toEqual([]);
    expect([...w.store.retired.keys()]).toEqual([a]);
  });

  it('gives a join whose fork never went out its branches (the work item purged between the commit and the dispatch)', async () => {
    const forked = orchestrationDefinition('ForkedLost', 1, [
      receive('r', 'Go', { into: 'go' }),
      parallel('both', [branch('a', [code('x', () => {})]), branch('b', [code('y', () => {})])]),
      complete('done'),
    ]);
    const w = createWorld([forked]);
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    const item = w.workQueue.items.shift()!;
    const create = w.store.create.bind(w.store);
    // The fork's commit lands; the host dies before it creates the branch instances, and its work item is gone.
    w.store.create = async () => {
      throw new Error('host killed');
    };
    await expect(w.host().process(item, { receiveCount: 1 })).rejects.toThrow('host killed');
    w.store.create = create;
    w.workQueue.items.splice(0);
    w.clock.advance(100_000);
    const [parentId] = await sweep(
      { store: w.store, workQueue: w.workQueue, clock: w.clock },
      { staleAfterMs: 30_000, lease: DEFAULT_LEASE },
    );
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    await settle(w);
    expect((await w.store.load(parentId!))!.status).toBe('completed');
  });

  it('wakes a waiting instance whose delivery was never read, and one it cannot take yet only once (path 5 and 11)', async () => {
    const approvals = orchestrationDefinition(
      'Approvals',
      1,
      [
        receive('order', 'Order', { into: 'order', correlation: 'order' }),
        receiveCorrelated('approval', 'Approval', { into: 'approval', correlation: 'order' }),
        receiveCorrelated('payment', 'Payment', { into: 'payment', correlation: 'order' }),
        complete('done'),
      ],
      { correlationSets: { order: { Order: orderIdOf, Approval: orderIdOf, Payment: orderIdOf } } },
    );
    const w = createWorld([approvals]);
    const config = { staleAfterMs: 30_000, lease: DEFAULT_LEASE };
    const sweepNow = () => sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, config);
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Order' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    const [instanceId] = w.store.items.keys();
    expect((await w.store.load(instanceId!))!.status).toBe('waiting');
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([]); // waiting on a receive, nothing delivered: nothing is due
    // A Payment arrives before the Approval; its wake-up is lost.
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Payment' })]);
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([instanceId]);
    await expect(w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 })).resolves.toMatchObject({
      detail: 'waiting; nothing it can take yet',
    });
    expect(await sweepNow()).toEqual([]); // it rests until the next delivery
    // The Approval arrives; its wake-up is lost too: the sweeper wakes it, and it takes both.
    await w.receiver.receive([rawMessage({ orderId: 'o-1' }, { MessageType: 'Approval' })]);
    w.workQueue.items.splice(0);
    w.clock.advance(60_000);
    expect(await sweepNow()).toEqual([instanceId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
    expect(await sweepNow()).toEqual([]);
  });

  it('wakes a waiting instance whose timer work item was lost, not before the timer is due', async () => {
    const waits = orchestrationDefinition('Waits', 1, [
      receive('r', 'Go', { into: 'go' }),
      delay('nap', { hours: 2 }),
      complete('done'),
    ]);
    const w = createWorld([waits]);
    const sweepNow = () =>
      sweep({ store: w.store, workQueue: w.workQueue, clock: w.clock }, { staleAfterMs: 30_000, lease: DEFAULT_LEASE });
    await w.receiver.receive([rawMessage({}, { MessageType: 'Go' })]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    w.workQueue.items.splice(0); // the timer's work item is lost
    const [instanceId] = w.store.items.keys();
    w.clock.advance(3_600_000);
    expect(await sweepNow()).toEqual([]);
    w.clock.advance(3_600_000 + 31_000);
    expect(await sweepNow()).toEqual([instanceId]);
    await w.host().process(w.workQueue.items.shift()!, { receiveCount: 1 });
    expect((await w.store.load(instanceId!))!.status).toBe('completed');
  });
});
